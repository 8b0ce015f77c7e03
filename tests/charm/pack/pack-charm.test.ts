import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { load } from "js-yaml";
import { loadCharmSpec } from "../../../lib/testing/index.ts";
import { packCharm } from "../../../charm/pack/pack-cli.ts";
import { jujuArchitecture } from "../../../charm/pack/layout-charm-tree.ts";
import { charmHarness, configured, repoRoot } from "../charm-harness.ts";

let dir: string;
let charmFile: string;
let unpacked: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "orchestra-pack-test-"));
  charmFile = join(dir, "orchestra.charm");
  await packCharm(repoRoot, charmFile);
  unpacked = join(dir, "unpacked");
  await execa("unzip", ["-q", charmFile, "-d", unpacked]);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** zipinfo's lines: mode and name of every entry. */
async function entries(): Promise<Map<string, string>> {
  const { stdout } = await execa("zipinfo", [charmFile]);
  const map = new Map<string, string>();
  for (const line of stdout.split("\n")) {
    const m = /^([-dlrwx]{10})\s.*\s(\S+)$/.exec(line);
    if (m) map.set(m[2]!, m[1]!);
  }
  return map;
}

describe("orchestra.charm", () => {
  it("holds the charm's files, a hook entry for every hook name, the bundles and Node", async () => {
    const list = await entries();
    for (const file of ["metadata.yaml", "config.yaml", "actions.yaml", "manifest.yaml", "dispatch", "dist/charm.js", "dist/orchestra.js", "bin/node"]) {
      expect(list.has(file), file).toBe(true);
    }
    const spec = loadCharmSpec(unpacked);
    for (const endpoint of Object.keys(spec.endpoints)) {
      for (const event of ["created", "joined", "changed", "departed", "broken"]) expect(list.has(`hooks/${endpoint}-relation-${event}`), `${endpoint} ${event}`).toBe(true);
    }
    for (const hook of ["install", "start", "stop", "remove", "config-changed", "upgrade-charm", "update-status", "leader-elected"]) expect(list.has(`hooks/${hook}`)).toBe(true);
    // Nothing from the development tree rides along.
    expect([...list.keys()].filter((n) => n.startsWith("node_modules") || n.startsWith("tests/") || n.endsWith(".ts"))).toEqual([]);
  });

  it("keeps dispatch, the hooks and node executable", async () => {
    const list = await entries();
    expect(list.get("dispatch")).toBe("-rwxr-xr-x");
    expect(list.get("bin/node")).toBe("-rwxr-xr-x");
    const hooks = [...list.entries()].filter(([name]) => name.startsWith("hooks/") && name !== "hooks/");
    expect(hooks.length).toBe(readdirSync(join(repoRoot, "hooks")).length);
    for (const [name, mode] of hooks) expect(mode, name).toBe("-rwxr-xr-x");
    expect(list.get("metadata.yaml")).toBe("-rw-r--r--");
  });

  it("has the manifest charmcraft writes and the repository's metadata", () => {
    const manifest = load(readFileSync(join(unpacked, "manifest.yaml"), "utf8")) as Record<string, unknown>;
    expect(manifest.bases).toEqual([{ name: "ubuntu", channel: "24.04", architectures: [jujuArchitecture()] }]);
    expect(manifest.analysis).toEqual({ attributes: [{ name: "language", result: "unknown" }, { name: "framework", result: "unknown" }] });
    expect(readFileSync(join(unpacked, "metadata.yaml"), "utf8")).toBe(readFileSync(join(repoRoot, "metadata.yaml"), "utf8"));
  });

  it("ships a POSIX sh dispatch and a Node 24", async () => {
    const dispatch = readFileSync(join(unpacked, "dispatch"), "utf8");
    expect(dispatch.startsWith("#!/bin/sh\n")).toBe(true);
    // dash is Debian's /bin/sh and knows no bashisms: -n parses without running.
    await execa("dash", ["-n", join(unpacked, "dispatch")]);
    const { stdout } = await execa(join(unpacked, "bin", "node"), ["--version"]);
    expect(stdout).toMatch(/^v24\./);
  });

  it("ships Node stripped of its symbols, and a README, icon and licence for Charmhub", async () => {
    // `file` says "not stripped" of a binary that still has its symbol table.
    expect((await execa("file", ["-L", join(unpacked, "bin", "node")])).stdout).toMatch(/, stripped$/);
    expect(readFileSync(join(unpacked, "README.md"), "utf8")).toMatch(/^# Orchestra\n/);
    expect(readFileSync(join(unpacked, "icon.svg"), "utf8")).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    expect(readFileSync(join(unpacked, "LICENSE"), "utf8")).toMatch(/Apache License\s+Version 2\.0/);
  });

  it("dispatch runs the bundle: an install through the unpacked charm goes active", async () => {
    const h = charmHarness({ charmDir: unpacked });
    try {
      const out = await h.ctx.run(h.ctx.on.install(), configured({ leader: true, config: { components: "dnsmasq" } }));
      expect(out.state.unitStatus).toEqual({ status: "active", message: "" });
      // Packed mode: the service runs the charm's own Node and bundle, copied to /opt/orchestra.
      expect(h.read("/etc/systemd/system/orchestra.service")).toContain(`ExecStart=${h.root}/opt/orchestra/bin/node --max-semi-space-size=1 ${h.root}/opt/orchestra/orchestra.js --data-dir`);
      expect(readFileSync(join(h.root, "opt/orchestra/orchestra.js"))).toEqual(readFileSync(join(unpacked, "dist/orchestra.js")));
      // The old hooks/<name> entry point hands over to dispatch too.
      const viaHook = charmHarness({ charmDir: unpacked, command: [join(unpacked, "hooks", "update-status")] });
      try {
        const status = await viaHook.ctx.run(viaHook.ctx.on.updateStatus(), configured({ leader: true, config: { components: "" } }));
        expect(status.state.unitStatus.status).toBe("active");
      } finally {
        viaHook.cleanup();
      }
    } finally {
      h.cleanup();
    }
  });
});
