/**
 * @module images/kernel-modules
 * Which module files a set of drivers needs, read from the kernel's own modules.dep, in an
 * order that loads every dependency before the module that uses it.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { OrchestraError } from "../errors.ts";

/** NIC and disk drivers the discovery ramdisk carries: virtual machines' and common servers'. */
export const DISCOVERY_DRIVERS: readonly string[] = [
  // NICs: qemu's e1000/virtio, Intel and Broadcom server NICs, Realtek desktops.
  "e1000", "e1000e", "igb", "ixgbe", "tg3", "r8169", "virtio_net",
  // Disks: virtio, IDE/SATA (qemu's pc and q35), NVMe, SCSI disks.
  "virtio_pci", "virtio_blk", "virtio_scsi", "ata_piix", "ahci", "nvme", "sd_mod",
  // The BMC, so that ipmitool can read its address where it is present.
  "ipmi_si", "ipmi_devintf",
  // Deployment: the root file system of a freshly written image, mounted through a loop device to seed cloud-init.
  "ext4", "loop",
  // ext4 checksums its metadata with crc32c, a module of its own it does not declare as a dependency.
  "crc32c_generic",
];

/** Parse modules.dep into module name → { path, dependency paths }. */
export function parseModulesDep(text: string): Map<string, { path: string; deps: string[] }> {
  const modules = new Map<string, { path: string; deps: string[] }>();
  for (const line of text.split("\n")) {
    const colon = line.indexOf(":");
    if (colon < 0) continue;
    const path = line.slice(0, colon).trim();
    const deps = line.slice(colon + 1).trim().split(/\s+/).filter(Boolean);
    modules.set(moduleName(path), { path, deps });
  }
  return modules;
}

/** A module's name from its path: kernel/drivers/net/virtio_net.ko → virtio_net (dashes are underscores to the kernel). */
export function moduleName(path: string): string {
  return path.replace(/^.*\//, "").replace(/\.ko(\.(xz|zst|gz))?$/, "").replaceAll("-", "_");
}

/**
 * The module paths (relative to the modules directory) to load for `drivers`, dependencies
 * first. Drivers built into the kernel appear in modules.builtin and need nothing.
 */
export function resolveModuleOrder(drivers: readonly string[], dep: Map<string, { path: string; deps: string[] }>, builtin: ReadonlySet<string>): string[] {
  const order: string[] = [];
  const seen = new Set<string>();
  const visit = (path: string) => {
    if (seen.has(path)) return;
    seen.add(path);
    const entry = dep.get(moduleName(path));
    for (const child of entry?.deps ?? []) visit(child);
    order.push(path);
  };
  for (const driver of drivers) {
    const name = driver.replaceAll("-", "_");
    const entry = dep.get(name);
    if (entry) visit(entry.path);
    else if (!builtin.has(name)) throw new OrchestraError("PREREQUISITE_MISSING", `the kernel has no driver ${driver} (neither a module in modules.dep nor built in)`, { driver });
  }
  const compressed = order.find((path) => !path.endsWith(".ko"));
  if (compressed) {
    // busybox insmod reads plain ELF objects only.
    throw new OrchestraError("PREREQUISITE_MISSING", `module ${compressed} is compressed; the discovery ramdisk needs uncompressed .ko files`, { module: compressed });
  }
  return order;
}

/** Read modules.dep and modules.builtin of the kernel whose modules live in `modulesDir`. */
export async function readKernelModuleIndex(modulesDir: string): Promise<{ dep: Map<string, { path: string; deps: string[] }>; builtin: Set<string> }> {
  let depText: string;
  try {
    depText = await readFile(join(modulesDir, "modules.dep"), "utf8");
  } catch (error) {
    throw new OrchestraError("PREREQUISITE_MISSING", `cannot read ${join(modulesDir, "modules.dep")}: install the kernel's package (linux-image-amd64)`, { modulesDir }, { cause: error });
  }
  const builtinText = await readFile(join(modulesDir, "modules.builtin"), "utf8").catch(() => "");
  const builtin = new Set(builtinText.split("\n").filter(Boolean).map(moduleName));
  return { dep: parseModulesDep(depText), builtin };
}
