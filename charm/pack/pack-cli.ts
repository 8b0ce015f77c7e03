/**
 * @module charm/pack/pack-cli
 * `npm run pack:charm` writes orchestra.charm; `npm run pack:tree -- <dir>` lays the charm tree
 * out in <dir> (what charmcraft.yaml's part installs).
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { layoutCharmTree } from "./layout-charm-tree.ts";
import { zipTree } from "./zip-tree.ts";

/** Packs the charm at `repoRoot` into `outFile`. */
export async function packCharm(repoRoot: string, outFile: string): Promise<void> {
  const tree = mkdtempSync(join(tmpdir(), "orchestra-charm-tree-"));
  try {
    await layoutCharmTree(repoRoot, tree);
    await zipTree(tree, outFile);
  } finally {
    rmSync(tree, { recursive: true, force: true });
  }
}

async function cli(argv: string[]): Promise<number> {
  const repoRoot = resolve(import.meta.dirname, "..", "..");
  const [command, target] = argv;
  if (command === "tree" && target !== undefined) {
    mkdirSync(target, { recursive: true });
    await layoutCharmTree(repoRoot, resolve(target));
    return 0;
  }
  if (command === "charm") {
    const out = resolve(target ?? join(repoRoot, "orchestra.charm"));
    await packCharm(repoRoot, out);
    process.stdout.write(`packed ${out}\n`);
    return 0;
  }
  process.stderr.write("usage: pack-cli charm [out.charm] | pack-cli tree <dir>\n");
  return 2;
}

if (import.meta.main) process.exitCode = await cli(process.argv.slice(2));
