/**
 * The charm as an earlier commit packed it, for the upgrade-charm test: the tree of that
 * commit taken with `git archive`, packed by its own `charm/pack/pack-cli.ts`, and cached under
 * the units cache by the commit's hash (a commit never changes, so neither does its charm).
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { withBuildLock } from "../../lib/testing/units/build-lock.ts";
import { UNITS_CACHE_DIR } from "../../lib/testing/units/cache-key.ts";
import { repoRoot } from "./unit-fixture.ts";

/**
 * The build upgrade-charm starts from: main's head before the charm-ha branch (a fixed commit,
 * so the test always upgrades across the same changes). Move it forward when a release is cut.
 */
export const PREVIOUS_CHARM_REF = "3a318c9ff3cd598ed2b7ff97b24810c5872bee59";

/** The packed charm of `ref` (a commit of this repository), built now or taken from the cache. */
export async function packedCharmAt(ref: string): Promise<{ file: string; commit: string; buildSeconds: number }> {
  const commit = (await execa("git", ["rev-parse", "--verify", `${ref}^{commit}`], { cwd: repoRoot })).stdout.trim();
  const file = join(UNITS_CACHE_DIR, `charm-${commit}.charm`);
  mkdirSync(UNITS_CACHE_DIR, { recursive: true });
  return await withBuildLock(`${file}.lock`, async () => {
    if (existsSync(file)) return { file, commit, buildSeconds: 0 };
    const started = Date.now();
    const tree = mkdtempSync(join(tmpdir(), "orchestra-previous-charm-"));
    try {
      const archive = join(tree, "tree.tar");
      await execa("git", ["archive", "--format=tar", `--output=${archive}`, commit], { cwd: repoRoot });
      const src = join(tree, "src");
      mkdirSync(src);
      await execa("tar", ["-xf", archive, "-C", src]);
      // The same lock file installs the same modules: borrow ours rather than download them again.
      if (readFileSync(join(src, "package-lock.json"), "utf8") === readFileSync(join(repoRoot, "package-lock.json"), "utf8")) {
        symlinkSync(join(repoRoot, "node_modules"), join(src, "node_modules"));
      } else {
        await execa("npm", ["ci", "--no-audit", "--no-fund"], { cwd: src });
      }
      const out = join(tree, "orchestra.charm");
      await execa(process.execPath, [join(src, "charm/pack/pack-cli.ts"), "charm", out], { cwd: src });
      copyFileSync(out, `${file}.building`);
      await execa("mv", [`${file}.building`, file]);
      return { file, commit, buildSeconds: (Date.now() - started) / 1000 };
    } finally {
      rmSync(tree, { recursive: true, force: true });
    }
  });
}
