/**
 * What a first run meets, answered the same way every time: one line
 * `orchestra: error [CODE]: message` (or JSON with --json), exit 1; exit 3 only for a bug.
 */
import { createServer, type Server } from "node:net";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { orchestra } from "../helpers/cli.ts";
import { tempDataDir } from "../helpers/inventory.ts";

let dataDir: string;
let cleanup: () => void;
beforeEach(() => ({ dir: dataDir, cleanup } = tempDataDir()));
afterEach(() => cleanup());

const run = (...args: string[]) => orchestra(["--data-dir", dataDir, ...args]);

/** Occupy a loopback port, as another program would. */
async function occupiedPort(): Promise<{ port: number; server: Server }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { port: (server.address() as { port: number }).port, server };
}

describe("start-up failures are one line with a code and exit 1", () => {
  it("a port in use", async () => {
    const { port, server } = await occupiedPort();
    try {
      const result = await run("serve", "--boot-listen", "127.0.0.1:0", "--api-listen", `127.0.0.1:${port}`, "--log-level", "error");
      expect(result.exitCode).toBe(1);
      expect(result.stderr).toBe(`orchestra: error [ADDRESS_IN_USE]: cannot listen on 127.0.0.1:${port}: the address is in use by another program; choose another with --api-listen`);
    } finally {
      server.close();
    }
  });

  it("both listeners on one port", async () => {
    const result = await run("serve", "--boot-listen", "127.0.0.1:18999", "--api-listen", "0.0.0.0:18999");
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/^orchestra: error \[ADDRESS_IN_USE\]: --boot-listen 127\.0\.0\.1:18999 and --api-listen 0\.0\.0\.0:18999 are the same address/);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
  });

  it("an unknown --log-level", async () => {
    const result = await run("serve", "--log-level", "chatty");
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toBe('orchestra: error [INVALID_ARGUMENT]: invalid --log-level "chatty": trace, debug, info, warn, error');
  });

  it("a --database-url that is not PostgreSQL, also as JSON", async () => {
    const result = await run("--database-url", "mysql://root@db/orchestra", "machines", "list");
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/^orchestra: error \[INVALID_ARGUMENT\]: --database-url must be a PostgreSQL URL .*got a mysql: URL/);
    const json = await run("--database-url", "mysql://root@db/orchestra", "machines", "list", "--json");
    expect(JSON.parse(json.stderr).error.code).toBe("INVALID_ARGUMENT");
  });
});

describe("a data directory that does not exist", () => {
  it("is refused by commands that do not add anything, and is not created", async () => {
    const typo = join(dataDir, "orchestar");
    for (const args of [["machines", "list"], ["machines", "show", "x"], ["instance-types", "list"], ["credentials", "list"]]) {
      const result = await orchestra(["--data-dir", typo, ...args]);
      expect(result.exitCode, args.join(" ")).toBe(1);
      expect(result.stderr).toMatch(/^orchestra: error \[DATA_DIR_NOT_FOUND\]: data directory .*orchestar does not exist/);
    }
    expect(existsSync(typo)).toBe(false);
  });

  it("is created by a command that adds something", async () => {
    const fresh = join(dataDir, "new-site");
    const result = await orchestra(["--data-dir", fresh, "machines", "add", "--mac", "52:54:00:00:00:01", "--power-type", "manual"]);
    expect(result.exitCode).toBe(0);
    expect(existsSync(fresh)).toBe(true);
  });
});

describe("usage errors", () => {
  it("honour --json", async () => {
    const result = await run("machines", "frobnicate", "--json");
    expect(result.exitCode).toBe(1);
    expect(JSON.parse(result.stderr)).toEqual({ error: { code: "USAGE", message: "unknown command 'frobnicate'" } });
  });
});

describe("the installed bin", () => {
  const bin = new URL("../../bin/orchestra", import.meta.url).pathname;

  it("prints the package version", async () => {
    const pkg = (await import("../../package.json", { with: { type: "json" } })).default;
    const result = await execa(bin, ["--version"], { reject: false });
    expect([result.exitCode, result.stdout]).toEqual([0, pkg.version]);
    expect(pkg.engines).toEqual({ node: ">=24" });
    // The charm's bundled CLI has no package.json beside it: the version is a constant kept equal here.
    const { ORCHESTRA_VERSION } = await import("../../lib/cli/package-version.ts");
    expect(ORCHESTRA_VERSION).toBe(pkg.version);
  });

  it("refuses a Node older than 24 in one line instead of a loader stack trace", async () => {
    // The system's Node (20 on this machine) runs the built CLI, as an installed bin without the project's Node would.
    const systemNode = "/usr/bin/node";
    const major = Number((await execa(systemNode, ["-p", "process.versions.node"])).stdout.split(".")[0]);
    expect(major).toBeLessThan(24);
    const main = new URL("../../dist/lib/cli/main.js", import.meta.url).pathname;
    const result = await execa(systemNode, [main, "--help"], { reject: false });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/^orchestra: error \[NODE_TOO_OLD\]: Orchestra needs Node 24 or newer, this is Node 20\.[\d.]+; run it as bin\/orchestra/);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
  });
});

describe("what the CLI prints", () => {
  it("names a machine as the user typed it", async () => {
    await run("machines", "add", "--mac", "52:54:00:00:00:01", "--hostname", "rack1-node7", "--power-type", "manual");
    const result = await run("machines", "release", "rack1-node7");
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/^orchestra: error \[ILLEGAL_TRANSITION\]: machine rack1-node7 \([a-z0-9]{6}\) is new; it cannot move to releasing/);
  });

  it("shows sizes in one unit style in every table", async () => {
    await run("machines", "add", "--mac", "52:54:00:00:00:01", "--hostname", "n1", "--cpus", "2", "--memory-mib", "16384", "--disk-gib", "20", "--power-type", "manual");
    const machines = (await run("machines", "list")).stdout;
    expect(machines).toMatch(/n1 .* 16\.0G\s+20\.0G /);
    const types = (await run("instance-types", "list")).stdout;
    expect(types.split("\n")[0]).toMatch(/^NAME\s+CPUS\s+MEMORY\s+DISK\s+ORIGIN/);
    expect(types).toMatch(/^t2\.micro\s+1\s+1\.0G\s+-\s/m);
    const show = (await run("machines", "show", "n1")).stdout;
    expect(show).toMatch(/^memory:\s+16\.0G$/m);
  });
});
