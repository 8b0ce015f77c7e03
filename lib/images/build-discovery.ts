/**
 * @module images/build-discovery
 * Builds the discovery ramdisk from Debian's own packages: busybox-static for every tool,
 * the kernel's modules for NICs and disks, and Orchestra's /init. The kernel it boots with
 * is the same package's vmlinuz, so modules and kernel always match.
 */
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { gzipSync } from "node:zlib";
import { OrchestraError } from "../errors.ts";
import type { BootImage } from "./boot-image.ts";
import { type CpioEntry, writeCpioNewc } from "./cpio-newc.ts";
import { kernelVersionOf } from "./debian-packages.ts";
import { sharedLibraries } from "./shared-libraries.ts";
import { renderDiscoveryInit, renderUdhcpcScript } from "./discovery-init.ts";
import { renderDeployScript } from "./deploy-script.ts";
import { renderEraseScript } from "./erase-script.ts";
import { addImage } from "./image-store.ts";
import { DISCOVERY_DRIVERS, readKernelModuleIndex, resolveModuleOrder } from "./kernel-modules.ts";

/** Where the build takes its parts from; the defaults are the Debian packages' paths. */
export interface DiscoveryBuildOptions {
  kernelVersion?: string;
  busybox?: string;
  bootDir?: string;
  modulesRoot?: string;
  drivers?: readonly string[];
  /** ipmitool to carry, so the ramdisk can report the BMC's address; false leaves it out. Default: /usr/bin/ipmitool when installed. */
  ipmitool?: string | false;
  /** aria2c to carry, the BitTorrent client of image fan-out (lib/fanout); false leaves it out. Default: /usr/bin/aria2c when installed. */
  aria2c?: string | false;
}

/** The ramdisk's bytes and the kernel it goes with. */
export interface DiscoveryRamdisk {
  readonly kernelVersion: string;
  readonly kernelPath: string;
  readonly initrd: Uint8Array;
  readonly modules: readonly string[];
  /** Whether ipmitool (and its libraries) are inside. */
  readonly ipmitool: boolean;
  /** Whether aria2c (and its libraries) are inside: without it, deployments fetch over HTTP only. */
  readonly aria2c: boolean;
}

/** Whether an ELF executable asks for a dynamic loader (PT_INTERP): such a busybox cannot run alone. */
export function isDynamicElf(bytes: Uint8Array): boolean {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 64 || view.getUint32(0) !== 0x7f454c46) throw new Error("not an ELF file");
  if (bytes[4] !== 2) throw new Error("not a 64-bit ELF file");
  const phoff = Number(view.getBigUint64(0x20, true));
  const phentsize = view.getUint16(0x36, true);
  const phnum = view.getUint16(0x38, true);
  for (let i = 0; i < phnum; i++) {
    if (view.getUint32(phoff + i * phentsize, true) === 3) return true;
  }
  return false;
}

/** Build the discovery initrd in memory. */
export async function buildDiscoveryRamdisk(options: DiscoveryBuildOptions = {}): Promise<DiscoveryRamdisk> {
  const kernelVersion = options.kernelVersion ?? (await kernelVersionOf());
  const kernelPath = join(options.bootDir ?? "/boot", `vmlinuz-${kernelVersion}`);
  const modulesDir = join(options.modulesRoot ?? "/lib/modules", kernelVersion);
  const busyboxPath = options.busybox ?? "/bin/busybox";

  let busybox: Uint8Array;
  try {
    busybox = await readFile(busyboxPath);
  } catch (error) {
    throw new OrchestraError("PREREQUISITE_MISSING", `cannot read ${busyboxPath}: install busybox-static`, { path: busyboxPath }, { cause: error });
  }
  if (isDynamicElf(busybox)) throw new OrchestraError("PREREQUISITE_MISSING", `${busyboxPath} is dynamically linked: install busybox-static, not busybox`, { path: busyboxPath });
  await readFile(kernelPath).catch((error: unknown) => {
    throw new OrchestraError("PREREQUISITE_MISSING", `no kernel at ${kernelPath}: install linux-image-amd64`, { path: kernelPath }, { cause: error });
  });

  const { dep, builtin } = await readKernelModuleIndex(modulesDir);
  const modules = resolveModuleOrder(options.drivers ?? DISCOVERY_DRIVERS, dep, builtin);

  const entries: CpioEntry[] = [];
  const dirs = new Set<string>();
  const addDir = (path: string) => {
    const parts = path.split("/");
    for (let i = 1; i <= parts.length; i++) {
      const dir = parts.slice(0, i).join("/");
      if (!dirs.has(dir)) {
        dirs.add(dir);
        entries.push({ kind: "directory", path: dir });
      }
    }
  };
  for (const dir of ["bin", "dev", "etc", "proc", "sys", "tmp", "lib/modules"]) addDir(dir);
  // The kernel opens /dev/console before /init runs, so it must exist in the archive itself.
  entries.push({ kind: "char-device", path: "dev/console", major: 5, minor: 1 });
  entries.push({ kind: "file", path: "bin/busybox", data: busybox, mode: 0o755 });
  entries.push({ kind: "symlink", path: "bin/sh", target: "busybox" });
  entries.push({ kind: "file", path: "init", data: new TextEncoder().encode(renderDiscoveryInit()), mode: 0o755 });
  entries.push({ kind: "file", path: "etc/udhcpc.script", data: new TextEncoder().encode(renderUdhcpcScript()), mode: 0o755 });
  entries.push({ kind: "file", path: "bin/orchestra-deploy", data: new TextEncoder().encode(renderDeployScript()), mode: 0o755 });
  entries.push({ kind: "file", path: "bin/orchestra-erase", data: new TextEncoder().encode(renderEraseScript()), mode: 0o755 });
  for (const module of modules) {
    const target = `lib/modules/${module}`;
    addDir(target.slice(0, target.lastIndexOf("/")));
    entries.push({ kind: "file", path: target, data: await readFile(join(modulesDir, module)) });
  }
  entries.push({ kind: "file", path: "etc/modules.order", data: new TextEncoder().encode(modules.map((m) => `${m}\n`).join("")) });

  const installed = async (path: string) => ((await stat(path).catch(() => undefined)) ? path : false);
  const ipmitool = options.ipmitool ?? (await installed("/usr/bin/ipmitool"));
  const aria2c = options.aria2c ?? (await installed("/usr/bin/aria2c"));
  const carried = new Set<string>();
  for (const program of [ipmitool, aria2c]) {
    if (!program) continue;
    // Libraries go where the build host's loader found them, so the same loader finds them again.
    for (const path of [program, ...(await sharedLibraries(program))]) {
      const target = path === program ? `usr/bin/${basename(program)}` : path.replace(/^\/+/, "");
      if (carried.has(target)) continue;
      carried.add(target);
      addDir(target.slice(0, target.lastIndexOf("/")));
      entries.push({ kind: "file", path: target, data: await readFile(path), mode: 0o755 });
    }
  }
  return { kernelVersion, kernelPath, initrd: gzipSync(writeCpioNewc(entries)), modules, ipmitool: Boolean(ipmitool), aria2c: Boolean(aria2c) };
}

/** Build the discovery ramdisk and register it, with its kernel, as a `discovery` image. */
export async function buildDiscoveryImage(dataDir: string, options: DiscoveryBuildOptions = {}): Promise<BootImage> {
  const ramdisk = await buildDiscoveryRamdisk(options);
  const work = await mkdtemp(join(tmpdir(), "orchestra-discovery-"));
  try {
    const initrdPath = join(work, "initrd");
    await writeFile(initrdPath, ramdisk.initrd);
    return await addImage(
      dataDir,
      { name: "orchestra-discovery", role: "discovery", release: ramdisk.kernelVersion, architecture: "amd64", source: "build-discovery" },
      { kernel: { path: ramdisk.kernelPath }, initrd: { path: initrdPath } },
    );
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
