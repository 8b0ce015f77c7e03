/**
 * @module charm/pack/zip-tree
 * Zips a charm tree with Info-ZIP's zip (Debian's `zip` package), which keeps Unix file
 * modes, so dispatch and hooks stay executable when Juju unpacks the charm.
 */
import { rmSync } from "node:fs";
import { resolve } from "node:path";
import { execa } from "execa";
import { OrchestraError } from "../../lib/errors.ts";

/** Writes `outFile` (replacing it) with the contents of `treeDir` at the zip's root. */
export async function zipTree(treeDir: string, outFile: string): Promise<void> {
  const target = resolve(outFile);
  rmSync(target, { force: true });
  // -X: no extra timestamps/uid fields; -r: recurse; -q: quiet; -y: store links as links.
  const result = await execa("zip", ["-X", "-r", "-q", "-y", target, "."], { cwd: treeDir, reject: false });
  if (result.failed) {
    const why = result.code === "ENOENT" ? "zip is not installed (apt-get install zip)" : String(result.stderr ?? "").trim();
    throw new OrchestraError("COMMAND_FAILED", `zip ${target}: ${why}`);
  }
}
