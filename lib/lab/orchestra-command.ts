/**
 * @module lab/orchestra-command
 * How the lab starts Orchestra's own CLI as a separate process: the same Node binary and
 * the same entry point this module was loaded with (.ts from the source tree, .js when built).
 */
import { extname } from "node:path";
import { fileURLToPath } from "node:url";

/** The argv prefix that runs the `orchestra` CLI. */
export function orchestraArgv(): string[] {
  const extension = extname(fileURLToPath(import.meta.url));
  return [process.execPath, fileURLToPath(new URL(`../cli/main${extension}`, import.meta.url))];
}
