/**
 * @module charm/pack/layout-charm-tree
 * Lays out the tree a .charm holds: the charm's YAML, dispatch and hooks/ (mode 755), the
 * esbuild bundles under dist/, the Node binary (stripped) under bin/, the charm's README,
 * icon and licence, and the manifest.yaml pack writes.
 */
import { chmodSync, copyFileSync, mkdirSync, readdirSync, realpathSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { dump } from "js-yaml";
import { bundleCharm } from "./bundle.ts";

/** The files copied from the repository root as they are. */
const CHARM_FILES = ["metadata.yaml", "config.yaml", "actions.yaml", "charmcraft.yaml"] as const;

/** Juju's name for Node's architecture. */
export function jujuArchitecture(arch: string = process.arch): string {
  const names: Record<string, string> = { x64: "amd64", arm64: "arm64", ppc64: "ppc64el", s390x: "s390x", riscv64: "riscv64" };
  const name = names[arch];
  if (name === undefined) throw new Error(`no Juju architecture for ${arch}`);
  return name;
}

/** manifest.yaml as charmcraft writes it (non-Python charms analyse as unknown). */
export function renderManifest(startedAt: Date, architecture: string): string {
  return dump({
    "charmcraft-version": "orchestra-pack-0.1.0",
    "charmcraft-started-at": startedAt.toISOString(),
    bases: [{ name: "ubuntu", channel: "24.04", architectures: [architecture] }],
    analysis: { attributes: [{ name: "language", result: "unknown" }, { name: "framework", result: "unknown" }] },
  });
}

/**
 * Builds the charm tree from `repoRoot` into `outDir` (which must exist and be empty).
 * `nodeBinary` is the Node the charm ships; by default the one running this.
 */
export async function layoutCharmTree(repoRoot: string, outDir: string, nodeBinary: string = process.execPath): Promise<void> {
  for (const file of CHARM_FILES) copyFileSync(join(repoRoot, file), join(outDir, file));
  copyFileSync(join(repoRoot, "dispatch"), join(outDir, "dispatch"));
  chmodSync(join(outDir, "dispatch"), 0o755);
  mkdirSync(join(outDir, "hooks"));
  for (const hook of readdirSync(join(repoRoot, "hooks"))) {
    copyFileSync(join(repoRoot, "hooks", hook), join(outDir, "hooks", hook));
    chmodSync(join(outDir, "hooks", hook), 0o755);
  }
  mkdirSync(join(outDir, "dist"));
  await bundleCharm(repoRoot, join(outDir, "dist"));
  mkdirSync(join(outDir, "bin"));
  // realpath: node_modules/.bin/node is a link; the charm needs the binary itself.
  copyFileSync(realpathSync(nodeBinary), join(outDir, "bin", "node"));
  chmodSync(join(outDir, "bin", "node"), 0o755);
  // Symbols are for debuggers, not for running hooks: strip (binutils) drops them (126 MB to 108 MB for Node 24.21).
  await execa("strip", ["--strip-all", join(outDir, "bin", "node")]);
  // What Charmhub shows: the charm's own README, icon and licence.
  copyFileSync(join(repoRoot, "charm", "meta", "README.md"), join(outDir, "README.md"));
  copyFileSync(join(repoRoot, "charm", "meta", "icon.svg"), join(outDir, "icon.svg"));
  copyFileSync(join(repoRoot, "LICENSE"), join(outDir, "LICENSE"));
  writeFileSync(join(outDir, "manifest.yaml"), renderManifest(new Date(), jujuArchitecture()));
}
