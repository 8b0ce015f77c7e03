/**
 * bin/orchestra, the launcher: it runs the CLI's bundle with the project's own Node, and gives
 * `serve` Node's heap flags (lib/server/serve-node-flags.ts) before the entry. Run here as a
 * copy beside a stand-in `node` that prints the argv it was given.
 */
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SERVE_NODE_FLAGS } from "../../lib/server/serve-node-flags.ts";

const LAUNCHER = new URL("../../bin/orchestra", import.meta.url).pathname;
let root: string;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "orchestra-launcher-"));
  mkdirSync(join(root, "bin"));
  mkdirSync(join(root, "node_modules", ".bin"), { recursive: true });
  copyFileSync(LAUNCHER, join(root, "bin", "orchestra"));
  chmodSync(join(root, "bin", "orchestra"), 0o755);
  const fakeNode = join(root, "node_modules", ".bin", "node");
  writeFileSync(fakeNode, '#!/bin/sh\nfor a in "$@"; do printf "%s\\n" "$a"; done\n');
  chmodSync(fakeNode, 0o755);
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const argvOf = async (...args: string[]) => (await execa(join(root, "bin", "orchestra"), args)).stdout.split("\n");

describe("bin/orchestra", () => {
  it("runs serve with serve's Node flags before the built entry, and the arguments unchanged", async () => {
    // The launcher names the entry from its own path (bin/..), without starting readlink.
    const entry = `${join(root, "bin")}/../dist/cli/main.js`;
    expect(await argvOf("--data-dir", "/var/lib/orchestra", "serve", "--boot-listen", "127.0.0.1:5248")).toEqual([...SERVE_NODE_FLAGS, entry, "--data-dir", "/var/lib/orchestra", "serve", "--boot-listen", "127.0.0.1:5248"]);
  });

  it("runs every other command without them", async () => {
    // The launcher names the entry from its own path (bin/..), without starting readlink.
    const entry = `${join(root, "bin")}/../dist/cli/main.js`;
    expect(await argvOf("machines", "list", "--json")).toEqual([entry, "machines", "list", "--json"]);
    expect(await argvOf("--help")).toEqual([entry, "--help"]);
  });
});
