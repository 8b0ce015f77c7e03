/**
 * @module charm/pack/bundle
 * The esbuild bundles a packed charm runs: dist/charm.js (every hook and action) and
 * dist/orchestra.js (the orchestra CLI and service). One file each, no node_modules.
 */
import { join } from "node:path";
import { build } from "esbuild";

/** The bundles' paths inside `outDir`. */
export interface Bundles {
  charm: string;
  orchestra: string;
}

// Some dependencies are CommonJS and call require(); an ESM bundle needs one made for it.
export const REQUIRE_SHIM = "import { createRequire as __orchestraCreateRequire } from 'node:module'; const require = __orchestraCreateRequire(import.meta.url);";

/** Bundles the charm and the orchestra CLI from the source tree at `repoRoot` into `outDir`. */
export async function bundleCharm(repoRoot: string, outDir: string, only?: keyof Bundles): Promise<Bundles> {
  const bundles: Bundles = { charm: join(outDir, "charm.js"), orchestra: join(outDir, "orchestra.js") };
  const entries: Record<keyof Bundles, string> = { charm: join(repoRoot, "charm", "main.ts"), orchestra: join(repoRoot, "lib", "cli", "main.ts") };
  for (const name of Object.keys(entries) as Array<keyof Bundles>) {
    if (only !== undefined && only !== name) continue;
    await build({
      entryPoints: [entries[name]],
      outfile: bundles[name],
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node24",
      banner: { js: REQUIRE_SHIM },
      logLevel: "warning",
      legalComments: "none",
    });
  }
  return bundles;
}
