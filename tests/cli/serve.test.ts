import { readFileSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { startOrchestra } from "../helpers/cli.ts";
import { tempDataDir } from "../helpers/inventory.ts";

/** Wait until the child prints its boot URL on stderr; resolve to it. */
function bootUrl(child: ReturnType<typeof startOrchestra>): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = "";
    child.stderr!.on("data", (chunk: Buffer) => {
      seen += chunk.toString();
      const match = /boot (http:\/\/[^\s;]+)/.exec(seen);
      if (match) resolve(match[1]!);
    });
    void child.then(() => reject(new Error(`orchestra serve exited early:\n${seen}`)));
  });
}

describe("orchestra serve", () => {
  it("serves /healthz from the store, and stops cleanly on SIGTERM", async () => {
    const { dir, cleanup } = tempDataDir();
    const child = startOrchestra(["--data-dir", dir, "serve", "--boot-listen", "127.0.0.1:0", "--api-listen", "127.0.0.1:0"]);
    try {
      const url = await bootUrl(child);
      const response = await fetch(new URL("healthz", url));
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ status: "ok" });
      child.kill("SIGTERM");
      const result = await child;
      expect(result.exitCode).toBe(0);
    } finally {
      child.kill("SIGKILL");
      cleanup();
    }
  });

  it("serves without loading execa, undici or node-forge: each waits for its first use (DHCP, fan-out, a power tool, Redfish, gpg, TLS, a CSR)", async () => {
    const { dir, cleanup } = tempDataDir();
    const record = join(dir, "loaded-modules.txt");
    const child = execa(process.execPath, ["--import", new URL("../helpers/record-loaded-modules.ts", import.meta.url).pathname, new URL("../../lib/cli/main.ts", import.meta.url).pathname, "--data-dir", dir, "serve", "--boot-listen", "127.0.0.1:0", "--api-listen", "127.0.0.1:0"], {
      reject: false,
      stdin: "ignore",
      buffer: false,
      env: { ORCHESTRA_TEST_LOADED_MODULES: record },
    });
    try {
      const url = await bootUrl(child);
      expect((await fetch(new URL("healthz", url))).status).toBe(200);
      child.kill("SIGTERM");
      expect((await child).exitCode).toBe(0);
      const loaded = readFileSync(record, "utf8").split("\n");
      // The record is real: serve's own web framework is in it.
      expect(loaded.some((module) => module.includes("/node_modules/fastify/"))).toBe(true);
      for (const lazy of ["execa", "undici", "node-forge"]) expect(loaded.filter((module) => module.includes(`/node_modules/${lazy}/`))).toEqual([]);
    } finally {
      child.kill("SIGKILL");
      cleanup();
    }
  });

  it("refuses a malformed listen address before starting anything", async () => {
    const { dir, cleanup } = tempDataDir();
    try {
      const child = startOrchestra(["--data-dir", dir, "serve", "--boot-listen", "nonsense"]);
      let stderr = "";
      child.stderr!.on("data", (c: Buffer) => (stderr += c.toString()));
      const result = await child;
      expect(result.exitCode).toBe(1);
      expect(stderr).toMatch(/invalid --boot-listen "nonsense"/);
    } finally {
      cleanup();
    }
  });

  it("refuses an unknown --erase-disks mode before starting anything", async () => {
    const { dir, cleanup } = tempDataDir();
    try {
      const child = startOrchestra(["--data-dir", dir, "serve", "--boot-listen", "127.0.0.1:0", "--api-listen", "127.0.0.1:0", "--erase-disks", "thorough"]);
      let stderr = "";
      child.stderr!.on("data", (c: Buffer) => (stderr += c.toString()));
      const result = await child;
      expect(result.exitCode).toBe(1);
      expect(stderr).toMatch(/invalid --erase-disks "thorough": quick or full/);
    } finally {
      cleanup();
    }
  });
});
