/**
 * @module testing/units/apt-repository
 * The local apt repository units install from: the Debian packages a unit asks for and every
 * dependency its root lacks, downloaded once on the host (`apt-get install --download-only`
 * against the root's own dpkg status) and indexed as a flat repository with
 * dpkg-scanpackages. Cached by its inputs like the root; served over HTTP by
 * unit-network-services.
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { withBuildLock } from "./build-lock.ts";
import { cacheKey, UNITS_CACHE_DIR } from "./cache-key.ts";
import type { RootImage } from "./root-image.ts";

/** A built repository: its directory (Packages.gz at the top), size and build time. */
export interface AptRepository {
  path: string;
  key: string;
  packages: readonly string[];
  bytes: number;
  debCount: number;
  buildSeconds: number;
}

/**
 * The repository holding `packages` and their dependencies for units booted from `root`.
 * Uses the host's apt lists (the host runs the same Debian release as the root).
 */
export async function ensureAptRepository(root: RootImage, packages: readonly string[]): Promise<AptRepository> {
  const wanted = [...new Set(packages)].sort();
  const key = cacheKey({ root: root.key, packages: wanted, recipe: 1 });
  const path = join(UNITS_CACHE_DIR, `repo-${key}`);
  mkdirSync(UNITS_CACHE_DIR, { recursive: true });
  return await withBuildLock(`${path}.lock`, async () => {
    if (existsSync(join(path, "Packages.gz"))) return describe(path, key, wanted, 0);
    const started = Date.now();
    const building = `${path}.building`;
    rmSync(building, { recursive: true, force: true });
    mkdirSync(join(building, "partial"), { recursive: true });
    await execa("apt-get", [
      "install", "--download-only", "--yes", "--no-install-recommends",
      // Resolve against what the root has, not what this host has installed.
      "-o", `Dir::State::status=${join(root.path, "var/lib/dpkg/status")}`,
      "-o", `Dir::Cache::archives=${building}`,
      "-o", "Debug::NoLocking=true",
      ...wanted,
    ], { env: { DEBIAN_FRONTEND: "noninteractive" } });
    rmSync(join(building, "partial"), { recursive: true, force: true });
    rmSync(join(building, "lock"), { force: true });
    const { stdout } = await execa("dpkg-scanpackages", ["--multiversion", "."], { cwd: building });
    writeFileSync(join(building, "Packages"), stdout.endsWith("\n") ? stdout : `${stdout}\n`);
    await execa("gzip", ["--keep", "--best", "Packages"], { cwd: building });
    renameSync(building, path);
    return describe(path, key, wanted, (Date.now() - started) / 1000);
  });
}

function describe(path: string, key: string, packages: readonly string[], buildSeconds: number): AptRepository {
  const debs = readdirSync(path).filter((f) => f.endsWith(".deb"));
  const bytes = debs.reduce((sum, f) => sum + statSync(join(path, f)).size, 0);
  return { path, key, packages, bytes, debCount: debs.length, buildSeconds };
}
