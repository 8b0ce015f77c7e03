/**
 * @module images/build-os-image
 * Builds the Debian disk image that the deploy ramdisk writes to a machine's disk: a
 * debootstrapped bookworm with cloud-init, on an MBR disk whose partition 1 is a FAT boot
 * partition booted by syslinux and whose partition 2 is the ext4 root. Nothing is mounted:
 * both file systems are made in files (mkfs.vfat plus mtools, mkfs.ext4 -d) and copied
 * into the disk file, so the build runs unchanged in CI containers.
 */
import { createReadStream, createWriteStream } from "node:fs";
import { copyFile, mkdir, open, readdir, readFile, stat, truncate, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { pipeline } from "node:stream/promises";
import { createGzip } from "node:zlib";
import { execa } from "execa";
import { OrchestraError } from "../errors.ts";
import { hostDebianMirror } from "./apt-sources.ts";
import type { BootImage } from "./boot-image.ts";
import { requirePrograms, type HostProgram } from "./host-programs.ts";
import { addImage } from "./image-store.ts";
import { bootPartitionBytes, osDiskLayout, partitionOffsetBytes, PARTITION_ALIGN_BYTES, renderSfdiskScript, rootFilesystemBytes, SECTOR_BYTES, type OsDiskLayout } from "./os-disk-layout.ts";
import { DEFAULT_OS_IMAGE_CACHE_DIR, findCachedOsImage, lockOsImageBuild, stageOsImage, type OsImageCacheEntry } from "./os-image-cache.ts";
import { OS_BOOT_LABEL, OS_ROOT_LABEL, renderSyslinuxCfg } from "./os-image-config.ts";
import { OS_IMAGE_MIN_MEMORY_MIB, osImageName, osImageRecipe, osImageRecipeKey, type OsImageRecipe } from "./os-image-recipe.ts";

/** syslinux's MBR boot code, which boots the active partition (Debian: syslinux-common). */
export const SYSLINUX_MBR = "/usr/lib/syslinux/mbr/mbr.bin";

const PROGRAMS: readonly HostProgram[] = [
  { program: "debootstrap", debianPackage: "debootstrap" },
  { program: "syslinux", debianPackage: "syslinux" },
  { program: "mcopy", debianPackage: "mtools" },
  { program: "mkfs.vfat", debianPackage: "dosfstools" },
  { program: "mkfs.ext4", debianPackage: "e2fsprogs" },
  { program: "sfdisk", debianPackage: "fdisk" },
  { program: "chroot", debianPackage: "coreutils" },
  { program: "dd", debianPackage: "coreutils" },
  { program: "du", debianPackage: "coreutils" },
];

/** How to build; every field has a default. */
export interface OsImageBuildOptions {
  /** Debian suite (code name). Default bookworm, the one this recipe is tested with. */
  suite?: string;
  /** Debian mirror. Default: the host's apt source for the suite. */
  mirror?: string;
  /** Where finished images are kept by recipe. Default /var/cache/orchestra/os-images. */
  cacheDir?: string;
  /** Packages beyond OS_IMAGE_PACKAGES (they change the cache key). */
  extraPackages?: readonly string[];
  /** Build even when the cache has this recipe (the new build replaces nothing until it is complete). */
  rebuild?: boolean;
  /** Called with one line per step of a long build. */
  onProgress?: (message: string) => void;
}

/** A finished disk image and whether it came from the cache. */
export interface OsDiskBuild {
  readonly entry: OsImageCacheEntry;
  readonly cached: boolean;
}

type Programs = Record<string, string>;

/** Run one step's tool; IMAGE_BUILD_FAILED with the step's name and the tool's output if it fails. */
async function run(step: string, file: string, args: readonly string[], options: { input?: string; env?: Record<string, string> } = {}): Promise<string> {
  const result = await execa(file, args, { reject: false, all: true, input: options.input, env: options.env, stdin: options.input === undefined ? "ignore" : undefined });
  if (result.exitCode !== 0) {
    const output = String(result.all ?? "").trim().split("\n").slice(-20).join("\n");
    throw new OrchestraError("IMAGE_BUILD_FAILED", `${step} failed (${file} exited ${result.exitCode ?? result.signal}):\n${output}`, { step, args });
  }
  return result.stdout;
}

async function timed<T>(onProgress: (message: string) => void, message: string, work: () => Promise<T>): Promise<T> {
  onProgress(`${message} ...`);
  const started = Date.now();
  const value = await work();
  onProgress(`${message}: done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return value;
}

async function debootstrap(programs: Programs, recipe: OsImageRecipe, root: string, debCache: string, onProgress: (message: string) => void): Promise<void> {
  await mkdir(debCache, { recursive: true });
  const args = ["--variant=minbase", `--arch=${recipe.architecture}`, `--include=${recipe.packages.join(",")}`, `--cache-dir=${debCache}`, recipe.suite, root, recipe.mirror];
  const child = execa(programs.debootstrap!, args, { reject: false, all: true, stdin: "ignore", lines: true });
  // debootstrap prints a line per package; its phases ("Unpacking the base system...") are what a person waits on.
  for await (const line of child) {
    if (/^I: (Resolving|Checking|Installing|Unpacking the|Configuring the|Base system)/.test(line)) onProgress(`debootstrap: ${line.slice(3)}`);
  }
  const result = await child;
  if (result.exitCode !== 0) {
    const log = await readFile(join(root, "debootstrap", "debootstrap.log"), "utf8").catch(() => "");
    const tail = [...(result.all as string[]), ...log.split("\n")].filter(Boolean).slice(-30).join("\n");
    throw new OrchestraError("IMAGE_BUILD_FAILED", `debootstrap ${recipe.suite} from ${recipe.mirror} failed (exit ${result.exitCode ?? result.signal}):\n${tail}`, { step: "debootstrap", args });
  }
}

/** Write the recipe's files, lock root's password and strip what a fresh machine must make its own. */
async function configureRoot(programs: Programs, recipe: OsImageRecipe, root: string): Promise<void> {
  for (const [path, text] of Object.entries(recipe.files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), text);
  }
  await run("locking root's password", programs.chroot!, [root, "passwd", "--lock", "root"]);
  // debootstrap copies the build host's resolv.conf in; the machine's DHCP client writes its own.
  await writeFile(join(root, "etc/resolv.conf"), "");
  // An empty machine-id makes systemd generate one at first boot: every machine its own.
  await writeFile(join(root, "etc/machine-id"), "");
  await run("removing the D-Bus machine id", programs.chroot!, [root, "rm", "-f", "/var/lib/dbus/machine-id"]);
  await run("cleaning apt's caches", programs.chroot!, [root, "apt-get", "clean"]);
  await run("removing apt's lists", programs.chroot!, [root, "find", "/var/lib/apt/lists", "-mindepth", "1", "-delete"]);
}

/** The kernel version whose vmlinuz and initrd.img debootstrap installed in the root's /boot. */
async function installedKernel(root: string): Promise<string> {
  const names = await readdir(join(root, "boot"));
  const versions = names.filter((n) => n.startsWith("vmlinuz-")).map((n) => n.slice("vmlinuz-".length)).filter((v) => names.includes(`initrd.img-${v}`));
  if (versions.length !== 1) throw new OrchestraError("IMAGE_BUILD_FAILED", `expected one kernel with its initrd in ${root}/boot, found: ${names.join(", ") || "nothing"}`, { step: "kernel" });
  return versions[0]!;
}

/** Disk usage of a tree in bytes, as du counts it (allocated blocks, one file system). */
async function diskUsage(programs: Programs, path: string): Promise<number> {
  const out = await run("measuring the root", programs.du!, ["-s", "-x", "-B1", path]);
  const bytes = Number(out.split(/\s/)[0]);
  if (!Number.isSafeInteger(bytes)) throw new OrchestraError("IMAGE_BUILD_FAILED", `du printed ${JSON.stringify(out)}`, { step: "measuring the root" });
  return bytes;
}

async function makeBootFilesystem(programs: Programs, file: string, layout: OsDiskLayout, files: Record<string, string>): Promise<void> {
  // Hidden sectors = where the partition starts, for boot code that reads it from the BPB.
  await run("making the boot file system", programs["mkfs.vfat"]!, ["-C", "-F", "16", "-n", OS_BOOT_LABEL, "-h", String(layout.boot.startSector), file, String((layout.boot.sectors * SECTOR_BYTES) / 1024)]);
  for (const [name, source] of Object.entries(files)) {
    await run(`copying ${name} to the boot file system`, programs.mcopy!, ["-i", file, source, `::/${name}`], { env: { MTOOLS_SKIP_CHECK: "1" } });
  }
}

/** Copy a file system image into the disk at its partition; sparse, so the zeros of an empty file system cost no disk. */
async function copyIntoPartition(programs: Programs, disk: string, filesystem: string, offsetBytes: number): Promise<void> {
  await run("copying a file system into the disk", programs.dd!, [`if=${filesystem}`, `of=${disk}`, `bs=${PARTITION_ALIGN_BYTES}`, `seek=${offsetBytes / PARTITION_ALIGN_BYTES}`, "conv=notrunc,sparse", "status=none"]);
}

async function writeMbrCode(disk: string): Promise<void> {
  const code = await readFile(SYSLINUX_MBR).catch((error: unknown) => {
    throw new OrchestraError("PREREQUISITE_MISSING", `${SYSLINUX_MBR} not found: apt-get install syslinux-common`, { path: SYSLINUX_MBR }, { cause: error });
  });
  // Only the boot code area: bytes 440-511 hold the disk signature and the table sfdisk wrote.
  if (code.length > 440) throw new OrchestraError("IMAGE_BUILD_FAILED", `${SYSLINUX_MBR} is ${code.length} bytes, more than the 440 of MBR boot code`, { step: "MBR" });
  const handle = await open(disk, "r+");
  try {
    await handle.write(code, 0, code.length, 0);
  } finally {
    await handle.close();
  }
}

async function gzipFile(from: string, to: string): Promise<void> {
  // Level 1: most of the image is already-compressed packages and zeros; higher levels cost minutes for a few per cent.
  await pipeline(createReadStream(from), createGzip({ level: 1 }), createWriteStream(to, { flags: "wx" }));
}

/**
 * The OS disk image for a recipe: from the cache when it has one, else built (debootstrap,
 * configure, two file systems, MBR, syslinux, gzip) and put into the cache.
 */
export async function buildOsDisk(options: OsImageBuildOptions = {}): Promise<OsDiskBuild> {
  const onProgress = options.onProgress ?? (() => undefined);
  const suite = options.suite ?? "bookworm";
  const cacheDir = options.cacheDir ?? DEFAULT_OS_IMAGE_CACHE_DIR;
  const recipe = osImageRecipe(suite, options.mirror ?? (await hostDebianMirror(suite)), options.extraPackages);
  const key = osImageRecipeKey(recipe);
  const fromCache = async (): Promise<OsDiskBuild | undefined> => {
    const cached = options.rebuild ? undefined : await findCachedOsImage(cacheDir, key);
    if (cached) onProgress(`using the cached image ${cached.dir} (built ${cached.info.builtAt})`);
    return cached && { entry: cached, cached: true };
  };
  const early = await fromCache();
  if (early) return early;
  const programs = await requirePrograms(PROGRAMS);
  if (process.getuid?.() !== 0) throw new OrchestraError("PREREQUISITE_MISSING", "debootstrap installs packages as root into the new tree: run the build as root");

  const release = await lockOsImageBuild(cacheDir, key, (holder) => onProgress(`waiting for process ${holder}, which is building the same recipe`));
  try {
    return (await fromCache()) ?? (await buildUncached(programs, recipe, key, cacheDir, Boolean(options.rebuild), onProgress));
  } finally {
    await release();
  }
}

async function buildUncached(programs: Programs, recipe: OsImageRecipe, key: string, cacheDir: string, rebuild: boolean, onProgress: (message: string) => void): Promise<OsDiskBuild> {
  const suite = recipe.suite;
  const started = Date.now();
  const staged = await stageOsImage(cacheDir, key);
  try {
    const root = join(staged.workDir, "root");
    await timed(onProgress, `debootstrap ${suite} from ${recipe.mirror} (minutes)`, () => debootstrap(programs, recipe, root, join(cacheDir, "debs"), onProgress));
    await timed(onProgress, "configuring the root", () => configureRoot(programs, recipe, root));
    const kernelVersion = await installedKernel(root);
    await copyFile(join(root, "boot", `vmlinuz-${kernelVersion}`), staged.kernel);
    await copyFile(join(root, "boot", `initrd.img-${kernelVersion}`), staged.initrd);

    const bootFiles = { vmlinuz: staged.kernel, "initrd.img": staged.initrd, "syslinux.cfg": join(staged.workDir, "syslinux.cfg") };
    await writeFile(bootFiles["syslinux.cfg"], renderSyslinuxCfg({ kernel: "vmlinuz", initrd: "initrd.img", append: recipe.kernelCmdline }));
    const bootContent = (await stat(staged.kernel)).size + (await stat(staged.initrd)).size;
    const layout = osDiskLayout(bootPartitionBytes(bootContent), rootFilesystemBytes(await diskUsage(programs, root)));

    const bootFs = join(staged.workDir, "boot.vfat");
    const rootFs = join(staged.workDir, "root.ext4");
    const disk = join(staged.workDir, "disk.img");
    await timed(onProgress, "making the boot file system", () => makeBootFilesystem(programs, bootFs, layout, bootFiles));
    await timed(onProgress, `making the ${Math.round((layout.root.sectors * SECTOR_BYTES) / 2 ** 20)} MiB root file system`, () =>
      run("making the root file system", programs["mkfs.ext4"]!, ["-q", "-F", "-L", OS_ROOT_LABEL, "-d", root, rootFs, `${(layout.root.sectors * SECTOR_BYTES) / 1024}k`]),
    );
    await timed(onProgress, "assembling the disk", async () => {
      await writeFile(disk, "");
      await truncate(disk, layout.totalBytes);
      await run("writing the partition table", programs.sfdisk!, ["--quiet", "--no-reread", "--no-tell-kernel", disk], { input: renderSfdiskScript(layout) });
      await writeMbrCode(disk);
      await copyIntoPartition(programs, disk, bootFs, partitionOffsetBytes(layout.boot));
      await copyIntoPartition(programs, disk, rootFs, partitionOffsetBytes(layout.root));
      await run("installing syslinux", programs.syslinux!, ["--install", "--offset", String(partitionOffsetBytes(layout.boot)), disk]);
    });
    await timed(onProgress, "compressing the disk", () => gzipFile(disk, staged.disk));
    const entry = await staged.commit({ key, recipe, layout, kernelVersion, diskBytes: layout.totalBytes, builtAt: new Date().toISOString(), buildSeconds: Math.round((Date.now() - started) / 1000) }, { replace: rebuild });
    onProgress(`built ${entry.dir} in ${entry.info.buildSeconds} s`);
    return { entry, cached: false };
  } catch (error) {
    await staged.discard();
    throw error;
  }
}

/** Build (or take from the cache) the OS disk image and register it as an `os` image. */
export async function buildOsImage(dataDir: string, options: OsImageBuildOptions = {}): Promise<BootImage> {
  const { entry } = await buildOsDisk(options);
  return addImage(
    dataDir,
    { name: osImageName(entry.info.recipe.suite), role: "os", release: entry.info.recipe.suite, architecture: entry.info.recipe.architecture, source: "build-os", rootPartition: entry.info.layout.root.number, minMemoryMib: OS_IMAGE_MIN_MEMORY_MIB },
    { kernel: { path: entry.kernel }, initrd: { path: entry.initrd }, root: { path: entry.disk } },
  );
}
