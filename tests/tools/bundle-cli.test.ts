/**
 * The CLI's bundle (tools/bundle-cli.ts), what bin/orchestra runs: built here into a fresh
 * directory and run beside the CLI from source, which every other CLI test runs. Same output,
 * same errors, the server starts from it, and the built-ins it does not use stay unloaded.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bundleCli } from "../../tools/bundle-cli.ts";
import { tempDataDir } from "../helpers/inventory.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const SOURCE = join(ROOT, "lib", "cli", "main.ts");
// Inside the checkout, as dist/cli is: the packages left outside the bundle resolve from its node_modules.
const OUT = mkdtempSync(join(ROOT, "node_modules", ".orchestra-bundle-test-"));
const BUNDLE = join(OUT, "main.js");

async function run(main: string, args: readonly string[], node = process.execPath) {
  const result = await execa(node, [main, ...args], { reject: false, stdin: "ignore" });
  return { exitCode: result.exitCode, stdout: String(result.stdout), stderr: String(result.stderr) };
}

beforeAll(async () => {
  await bundleCli(ROOT, OUT);
}, 120_000);

afterAll(() => rmSync(OUT, { recursive: true, force: true }));

describe("the CLI's bundle", () => {
  it("prints what the CLI from source prints: help, a listing, an error", async () => {
    const { dir, cleanup } = tempDataDir();
    try {
      for (const mac of ["52:54:00:0b:00:01", "52:54:00:0b:00:02"]) {
        expect((await run(SOURCE, ["--data-dir", dir, "machines", "add", "--mac", mac, "--power-type", "manual"])).exitCode).toBe(0);
      }
      for (const args of [["--help"], ["machines", "--help"], ["--version"], ["--data-dir", dir, "machines", "list", "--json"], ["--data-dir", dir, "machines", "list"], ["--data-dir", dir, "machines", "show", "nonesuch"], ["nonesuch"]]) {
        const [fromSource, fromBundle] = await Promise.all([run(SOURCE, args), run(BUNDLE, args)]);
        expect(fromBundle, args.join(" ")).toEqual(fromSource);
      }
      expect(JSON.parse((await run(BUNDLE, ["--data-dir", dir, "machines", "list", "--json"])).stdout)).toHaveLength(2);
    } finally {
      cleanup();
    }
  });

  it("refuses a Node older than 24 in one line", async () => {
    // The system's Node (20 on this machine), as bin/orchestra falls back to the node on PATH.
    const result = await run(BUNDLE, ["--help"], "/usr/bin/node");
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/^orchestra: error \[NODE_TOO_OLD\]: Orchestra needs Node 24 or newer, this is Node 20\.[\d.]+;/);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
  });

  it("runs orchestra serve, whose packages stay outside the bundle", async () => {
    const { dir, cleanup } = tempDataDir();
    const child = execa(process.execPath, [BUNDLE, "--data-dir", dir, "serve", "--boot-listen", "127.0.0.1:0", "--api-listen", "127.0.0.1:0"], { reject: false, stdin: "ignore", buffer: false });
    try {
      const url = await new Promise<string>((resolveUrl, reject) => {
        let seen = "";
        child.stderr!.on("data", (chunk: Buffer) => {
          seen += chunk.toString();
          const match = /boot (http:\/\/[^\s;]+)/.exec(seen);
          if (match) resolveUrl(match[1]!);
        });
        void child.then(() => reject(new Error(`orchestra serve exited early:\n${seen}`)));
      });
      const response = await fetch(new URL("healthz", url));
      expect(await response.json()).toEqual({ status: "ok" });
      child.kill("SIGTERM");
      expect((await child).exitCode).toBe(0);
    } finally {
      child.kill("SIGKILL");
      cleanup();
    }
  });

  it("carries the dashboard's assets beside its code", () => {
    const assets = join(ROOT, "lib", "dashboard", "assets");
    for (const name of readdirSync(assets)) expect(readFileSync(join(OUT, "assets", name)), name).toEqual(readFileSync(join(assets, name)));
  });

  it("reads built-ins only as the command uses them: --help loads no child_process, worker_threads or webcrypto", async () => {
    // Each run writes the built-in modules Node loaded; the empty script is the baseline.
    const probe = join(OUT, "probe.mjs");
    writeFileSync(probe, 'import { writeFileSync } from "node:fs";\nprocess.on("exit", () => writeFileSync(process.env.LOADED_LIST, process.moduleLoadList.join("\\n")));\n');
    const loaded = async (args: readonly string[]) => {
      const list = join(OUT, "loaded.txt");
      const result = await execa(process.execPath, ["--import", probe, ...args], { reject: false, env: { LOADED_LIST: list } });
      expect(result.exitCode).toBe(0);
      return new Set(readFileSync(list, "utf8").split("\n"));
    };
    const help = await loaded([BUNDLE, "--help"]);
    for (const name of ["child_process", "worker_threads", "internal/crypto/webcrypto", "internal/util/diff"]) expect(help.has(`NativeModule ${name}`), name).toBe(false);
    // The same probe sees them where they are loaded: the source CLI loads child_process (commander's import).
    expect((await loaded([SOURCE, "--help"])).has("NativeModule child_process")).toBe(true);
  });
});
