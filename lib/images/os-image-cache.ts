/**
 * @module images/os-image-cache
 * Finished OS images kept by recipe key: `<cache dir>/<key>/` holds `disk.img.gz`,
 * `kernel`, `initrd` and `build.json`. An entry is built in `.building-<key>-<pid>/` beside
 * it and appears by one rename once complete, so a build that fails or is killed halfway
 * never looks like a cached image. A rebuild's entry replaces the old one the same way.
 */
import { mkdir, open, readdir, readFile, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { writeFileAtomic } from "../files/write-file-atomic.ts";
import type { OsDiskLayout } from "./os-disk-layout.ts";
import type { OsImageRecipe } from "./os-image-recipe.ts";

/** The default cache directory (shared by every data directory on the machine, and by CI runs). */
export const DEFAULT_OS_IMAGE_CACHE_DIR = "/var/cache/orchestra/os-images";

/** What a build records beside its files. */
export interface OsImageBuildInfo {
  readonly key: string;
  readonly recipe: OsImageRecipe;
  readonly layout: OsDiskLayout;
  readonly kernelVersion: string;
  readonly diskBytes: number;
  readonly builtAt: string;
  readonly buildSeconds: number;
}

/** The files of one cache entry. */
export interface OsImageCacheEntry {
  readonly dir: string;
  readonly disk: string;
  readonly kernel: string;
  readonly initrd: string;
  readonly info: OsImageBuildInfo;
}

function entryFiles(dir: string): { disk: string; kernel: string; initrd: string; infoPath: string } {
  return { disk: join(dir, "disk.img.gz"), kernel: join(dir, "kernel"), initrd: join(dir, "initrd"), infoPath: join(dir, "build.json") };
}

/** The complete entry for `key`, or undefined. */
export async function findCachedOsImage(cacheDir: string, key: string): Promise<OsImageCacheEntry | undefined> {
  const dir = join(cacheDir, key);
  const files = entryFiles(dir);
  let info: OsImageBuildInfo;
  try {
    info = JSON.parse(await readFile(files.infoPath, "utf8")) as OsImageBuildInfo;
  } catch {
    return undefined;
  }
  for (const path of [files.disk, files.kernel, files.initrd]) {
    if (!(await stat(path).catch(() => undefined))?.isFile()) return undefined;
  }
  return { dir, disk: files.disk, kernel: files.kernel, initrd: files.initrd, info };
}

/** A cache entry being built: write its files, then commit or discard it. */
export interface StagedOsImage {
  /** Scratch space for the build, removed on commit or discard. */
  readonly workDir: string;
  readonly disk: string;
  readonly kernel: string;
  readonly initrd: string;
  /**
   * Move the entry into place. An entry of the same key that appeared meanwhile is kept
   * (it is as good as this one) unless `replace` is set, as for a rebuild that should pick
   * up the mirror's newer packages.
   */
  commit(info: OsImageBuildInfo, options?: { replace?: boolean }): Promise<OsImageCacheEntry>;
  discard(): Promise<void>;
}

/** Mount points at or under `dir` (from /proc/self/mounts, whose octal escapes are decoded). */
export async function mountsUnder(dir: string, mounts?: string): Promise<string[]> {
  const text = mounts ?? (await readFile("/proc/self/mounts", "utf8").catch(() => ""));
  const points = text.split("\n").map((line) => (line.split(" ")[1] ?? "").replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8))));
  return points.filter((point) => point === dir || point.startsWith(`${dir}/`));
}

/**
 * Remove a build directory, unless something is mounted inside it: debootstrap mounts /proc
 * and /sys (in containers it bind-mounts /dev) in the new tree, and a debootstrap killed
 * before its cleanup leaves them there. A recursive delete would then reach the host's own.
 */
async function removeBuildDir(dir: string): Promise<void> {
  const mounted = await mountsUnder(dir);
  if (mounted.length > 0) throw new Error(`not removing ${dir}: ${mounted.join(", ")} still mounted there; unmount ${mounted.length > 1 ? "them" : "it"} first`);
  await rm(dir, { recursive: true, force: true });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Start an entry for `key`, first removing what builds that died (their pid gone) left behind. */
export async function stageOsImage(cacheDir: string, key: string): Promise<StagedOsImage> {
  await mkdir(cacheDir, { recursive: true });
  for (const name of await readdir(cacheDir)) {
    const pid = /^\.(?:building|replaced)-[0-9a-f]+-(\d+)$/.exec(name)?.[1];
    if (pid && Number(pid) !== process.pid && !isAlive(Number(pid))) await removeBuildDir(join(cacheDir, name));
  }
  const dir = join(cacheDir, `.building-${key}-${process.pid}`);
  await removeBuildDir(dir);
  const workDir = join(dir, "work");
  await mkdir(workDir, { recursive: true });
  const files = entryFiles(dir);
  const discard = () => removeBuildDir(dir);
  return {
    workDir,
    disk: files.disk,
    kernel: files.kernel,
    initrd: files.initrd,
    discard,
    async commit(info, { replace = false } = {}) {
      for (const path of [files.disk, files.kernel, files.initrd]) {
        if (!(await stat(path).catch(() => undefined))?.isFile()) {
          await discard();
          throw new Error(`a build committed without ${path}; nothing was cached`);
        }
      }
      await removeBuildDir(workDir);
      await writeFileAtomic(files.infoPath, `${JSON.stringify(info, null, 2)}\n`);
      const final = join(cacheDir, key);
      const replaced = join(cacheDir, `.replaced-${key}-${process.pid}`);
      // rename(2) cannot replace a non-empty directory: the old entry steps aside first.
      if (replace) await rename(final, replaced).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== "ENOENT") throw error;
      });
      try {
        await rename(dir, final);
      } catch (error) {
        // Another build of the same recipe finished first: its entry is as good as ours.
        const code = (error as NodeJS.ErrnoException).code;
        if (code !== "ENOTEMPTY" && code !== "EEXIST") throw error;
        await discard();
      }
      await removeBuildDir(replaced);
      const entry = await findCachedOsImage(cacheDir, key);
      if (!entry) throw new Error(`the cache entry ${final} vanished after it was written`);
      return entry;
    },
  };
}

/**
 * Hold the build lock of `key` (`<cache dir>/.lock-<key>`, holding the builder's pid) until
 * the returned release is called. Two builds of one recipe at once (CI runs test files in
 * parallel) would each take minutes of the same CPU for one result: the second waits, and
 * then usually finds the first's entry in the cache. A lock whose pid is gone is taken over.
 */
export async function lockOsImageBuild(cacheDir: string, key: string, onWait: (holder: number) => void = () => undefined, pollMs = 2_000): Promise<() => Promise<void>> {
  await mkdir(cacheDir, { recursive: true });
  const path = join(cacheDir, `.lock-${key}`);
  let reported: number | undefined;
  let emptySeen = false;
  for (;;) {
    try {
      const handle = await open(path, "wx");
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      return () => rm(path, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const text = (await readFile(path, "utf8").catch(() => "")).trim();
    const holder = Number(text);
    const wait = () => new Promise((resolve) => setTimeout(resolve, pollMs));
    if (text === "" && !emptySeen) {
      // Created but not yet written by its holder: look again before calling it abandoned.
      emptySeen = true;
      await wait();
    } else if (Number.isSafeInteger(holder) && holder > 0 && isAlive(holder)) {
      if (reported !== holder) onWait((reported = holder));
      await wait();
    } else {
      // Its builder died, or never wrote its pid.
      emptySeen = false;
      await rm(path, { force: true });
    }
  }
}
