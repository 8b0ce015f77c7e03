/**
 * @module tools/bundle-cli
 * The `orchestra` command's bundle, dist/cli/ (`npm run build` makes it; bin/orchestra runs
 * dist/cli/main.js). One file per command group and a few shared chunks, where the plain tsc
 * output is one file per module: a start resolved, read and linked about 60 modules and
 * commander's 7 before it did anything, about a fifth of `machines list`'s CPU
 * (tests/bench/cli-start.ts). Only Orchestra's own code and commander are inside; every
 * other package (fastify, pino, pg, undici...) is loaded from node_modules as before, so
 * `serve` runs the very code it ran.
 *
 * Run as `node tools/bundle-cli.ts [outDir]` (default dist/cli) from the repository root.
 */
import { cpSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { builtinModules, createRequire } from "node:module";
import { join, resolve } from "node:path";
import { build, type Plugin } from "esbuild";
import { REQUIRE_SHIM } from "../charm/pack/bundle.ts";

/** The packages bundled in: what every command loads. Every other dependency stays external. */
const BUNDLED_PACKAGES = new Set(["commander"]);

/**
 * Node's built-in modules, read one export at a time. An ES import of a built-in makes Node
 * build its ES facade, which reads every export once, and esbuild's wrapper for a required
 * module reads every property's descriptor: either way `node:util`'s lazy exports load
 * util/diff, worker_threads and parse_args, `node:crypto`'s load webcrypto. Here each
 * built-in is a module of its own whose exports are calls marked pure (dropped unless some
 * code uses them), so only the exports used are read. commander loads node:child_process
 * only to run external subcommands, which Orchestra has none of, and it brings net, stream
 * and dgram: inside commander it is loaded on first use.
 */
const builtinExports: Plugin = {
  name: "builtin-exports",
  setup(build) {
    const builtins = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));
    const require = createRequire(import.meta.url);
    build.onResolve({ filter: /^[a-z_:/]+$/ }, (args) => {
      // A dynamic import() stays one: main.ts imports node:module so on any Node, to say plainly when it is too old.
      if (args.namespace === "builtin" || args.kind === "dynamic-import" || !builtins.has(args.path)) return undefined;
      const name = args.path.replace(/^node:/, "");
      const lazy = name === "child_process" && /[\\/]node_modules[\\/]commander[\\/]/.test(args.importer);
      return { path: lazy ? `lazy:${name}` : name, namespace: "builtin" };
    });
    build.onLoad({ filter: /.*/, namespace: "builtin" }, (args) => {
      if (args.path.startsWith("lazy:")) {
        const name = args.path.slice("lazy:".length);
        return { contents: `let loaded; export default new Proxy({}, { get: (_, key) => (loaded ??= require("node:${name}"))[key] });`, loader: "js" };
      }
      const names = Object.getOwnPropertyNames(require(`node:${args.path}`)).filter((key) => /^[A-Za-z_$][\w$]*$/.test(key) && key !== "default");
      const lines = [`const builtin = require("node:${args.path}");`, "const read = (key) => builtin[key];", "export default builtin;"];
      for (const key of names) lines.push(`const export_${key} = /* @__PURE__ */ read(${JSON.stringify(key)}); export { export_${key} as ${key} };`);
      return { contents: lines.join("\n"), loader: "js" };
    });
  },
};

/** Bundle lib/cli/main.ts of the repository at `repoRoot` into `outDir`, replacing what was there. */
export async function bundleCli(repoRoot: string, outDir: string): Promise<void> {
  const pkg = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { dependencies: Record<string, string> };
  rmSync(outDir, { recursive: true, force: true });
  await build({
    entryPoints: { main: join(repoRoot, "lib", "cli", "main.ts") },
    outdir: outDir,
    bundle: true,
    // Each command group is imported on demand (lib/cli/program.ts): a chunk each.
    splitting: true,
    platform: "node",
    format: "esm",
    target: "node24",
    external: Object.keys(pkg.dependencies).filter((name) => !BUNDLED_PACKAGES.has(name)),
    plugins: [builtinExports],
    banner: { js: REQUIRE_SHIM },
    logLevel: "warning",
    legalComments: "none",
  });
  // esbuild puts the banner in every file, but only the chunk that defines esbuild's
  // __require calls require(): a createRequire() in each of the 26 files machines list loads
  // cost about 2 ms.
  for (const name of readdirSync(outDir).filter((file) => file.endsWith(".js"))) {
    const path = join(outDir, name);
    const code = readFileSync(path, "utf8");
    if (!code.includes("var __require =")) writeFileSync(path, code.replace(`${REQUIRE_SHIM}\n`, ""));
  }
  // The dashboard finds its assets beside its own module (new URL("./assets/", import.meta.url)).
  cpSync(join(repoRoot, "lib", "dashboard", "assets"), join(outDir, "assets"), { recursive: true });
}

if (import.meta.main) {
  const root = resolve(import.meta.dirname, "..");
  await bundleCli(root, resolve(root, process.argv[2] ?? "dist/cli"));
}
