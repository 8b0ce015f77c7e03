/**
 * @module images/os-disk-layout
 * Where the OS image's two partitions go on its MBR disk, and how big each is: arithmetic
 * only, so that the numbers sfdisk, dd and syslinux are given are checked by unit tests.
 * Partitions start on MiB boundaries (what fdisk does, and what SSDs and 4K disks want);
 * the root partition is the last one so that cloud-init's growpart can grow it to the
 * end of the real disk.
 */

/** The logical sector size the image is laid out in. */
export const SECTOR_BYTES = 512;

/** The alignment of every partition, and the gap before the first (where the MBR and nothing else lives). */
export const PARTITION_ALIGN_BYTES = 1024 * 1024;

const MIB = 1024 * 1024;

/** MBR partition type bytes. */
export const MBR_TYPE_FAT16_LBA = 0x0e;
export const MBR_TYPE_LINUX = 0x83;

/** One partition of the image, in sectors. */
export interface PartitionExtent {
  /** 1-based, as in /dev/sda1 and sfdisk. */
  readonly number: number;
  readonly startSector: number;
  readonly sectors: number;
  readonly type: number;
  readonly bootable: boolean;
}

/** The image's partition table and its total size. */
export interface OsDiskLayout {
  readonly boot: PartitionExtent;
  readonly root: PartitionExtent;
  readonly totalBytes: number;
}

function alignUp(bytes: number, to = PARTITION_ALIGN_BYTES): number {
  return Math.ceil(bytes / to) * to;
}

/**
 * The boot (FAT) partition's size for `contentBytes` of kernel, initrd and syslinux files:
 * room for a second kernel and initrd beside the first, so that a later kernel can be put
 * there before the old one is removed, and never under 64 MiB.
 */
export function bootPartitionBytes(contentBytes: number): number {
  return Math.max(64 * MIB, alignUp(contentBytes * 2 + 16 * MIB));
}

/**
 * The root ext4 file system's size for a tree using `usedBytes`: a quarter more for ext4's
 * own overhead (inode tables, journal, the 5% reserved for root) and 128 MiB free on first
 * boot. The image stays small to write; growpart and resizefs enlarge it on the real disk.
 */
export function rootFilesystemBytes(usedBytes: number): number {
  return alignUp(usedBytes * 1.25 + 128 * MIB);
}

/** Lay out partition 1 (boot, FAT, active) and partition 2 (root, ext4) back to back. */
export function osDiskLayout(bootBytes: number, rootBytes: number): OsDiskLayout {
  if (bootBytes % PARTITION_ALIGN_BYTES || rootBytes % PARTITION_ALIGN_BYTES || bootBytes <= 0 || rootBytes <= 0) {
    throw new RangeError(`partition sizes must be positive multiples of ${PARTITION_ALIGN_BYTES} bytes (got ${bootBytes}, ${rootBytes})`);
  }
  const bootStart = PARTITION_ALIGN_BYTES / SECTOR_BYTES;
  const boot: PartitionExtent = { number: 1, startSector: bootStart, sectors: bootBytes / SECTOR_BYTES, type: MBR_TYPE_FAT16_LBA, bootable: true };
  const root: PartitionExtent = { number: 2, startSector: bootStart + boot.sectors, sectors: rootBytes / SECTOR_BYTES, type: MBR_TYPE_LINUX, bootable: false };
  const endSector = root.startSector + root.sectors;
  // An MBR entry holds 32-bit sector numbers: 2 TiB is the most it can describe.
  if (endSector > 0xffffffff) throw new RangeError(`a ${endSector * SECTOR_BYTES}-byte disk is beyond what an MBR can describe`);
  return { boot, root, totalBytes: endSector * SECTOR_BYTES };
}

/** The byte offset of a partition in the image. */
export function partitionOffsetBytes(partition: PartitionExtent): number {
  return partition.startSector * SECTOR_BYTES;
}

/** An sfdisk script (sfdisk(8), "Input formats") that writes `layout`'s MBR table. */
export function renderSfdiskScript(layout: OsDiskLayout): string {
  const line = (p: PartitionExtent) => `start=${p.startSector}, size=${p.sectors}, type=${p.type.toString(16)}${p.bootable ? ", bootable" : ""}\n`;
  return `label: dos\nunit: sectors\nsector-size: ${SECTOR_BYTES}\n\n${line(layout.boot)}${line(layout.root)}`;
}
