/**
 * @module lab/orchestra-command
 * How the lab starts Orchestra's own CLI as a separate process: the same Node binary and
 * the same entry point this module was loaded with (.ts from the source tree, .js when built).
 */
import { extname } from "node:path";
import { fileURLToPath } from "node:url";

/** The argv prefix that runs the `orchestra` CLI, with `nodeFlags` for Node itself (serve's: lib/server/serve-node-flags.ts). */
export function orchestraArgv(nodeFlags: readonly string[] = []): string[] {
  const extension = extname(fileURLToPath(import.meta.url));
  return [process.execPath, ...nodeFlags, fileURLToPath(new URL(`../cli/main${extension}`, import.meta.url))];
}
