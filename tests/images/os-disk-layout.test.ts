import { describe, expect, it } from "vitest";
import { bootPartitionBytes, MBR_TYPE_FAT16_LBA, MBR_TYPE_LINUX, osDiskLayout, partitionOffsetBytes, renderSfdiskScript, rootFilesystemBytes } from "../../lib/images/os-disk-layout.ts";

const MIB = 1024 * 1024;

describe("partition sizes", () => {
  it("gives the boot partition room for a second kernel and initrd, at least 64 MiB, in whole MiB", () => {
    expect(bootPartitionBytes(1000)).toBe(64 * MIB);
    expect(bootPartitionBytes(40 * MIB)).toBe(96 * MIB);
    expect(bootPartitionBytes(40 * MIB + 1) % MIB).toBe(0);
    expect(bootPartitionBytes(40 * MIB + 1)).toBe(97 * MIB);
  });

  it("gives the root a quarter more than it uses plus 128 MiB, in whole MiB", () => {
    expect(rootFilesystemBytes(0)).toBe(128 * MIB);
    expect(rootFilesystemBytes(400 * MIB)).toBe(628 * MIB);
    expect(rootFilesystemBytes(400 * MIB + 1)).toBe(629 * MIB);
  });
});

describe("the disk layout", () => {
  const layout = osDiskLayout(96 * MIB, 628 * MIB);

  it("starts the boot partition at 1 MiB, active, and the root right after it, both MiB-aligned", () => {
    expect(layout.boot).toEqual({ number: 1, startSector: 2048, sectors: 96 * 2048, type: MBR_TYPE_FAT16_LBA, bootable: true });
    expect(layout.root).toEqual({ number: 2, startSector: 2048 + 96 * 2048, sectors: 628 * 2048, type: MBR_TYPE_LINUX, bootable: false });
    expect(partitionOffsetBytes(layout.root)).toBe(97 * MIB);
  });

  it("ends the disk where the root ends, so growpart can extend the root to a larger real disk", () => {
    expect(layout.totalBytes).toBe((1 + 96 + 628) * MIB);
    expect(layout.totalBytes).toBe(partitionOffsetBytes(layout.root) + layout.root.sectors * 512);
  });

  it("refuses unaligned sizes and disks beyond an MBR's 2 TiB", () => {
    expect(() => osDiskLayout(96 * MIB + 512, 628 * MIB)).toThrow(RangeError);
    expect(() => osDiskLayout(0, 628 * MIB)).toThrow(RangeError);
    expect(() => osDiskLayout(64 * MIB, 2 * 1024 * 1024 * MIB)).toThrow(/MBR/);
  });

  it("renders as an sfdisk script", () => {
    expect(renderSfdiskScript(layout)).toBe(
      "label: dos\nunit: sectors\nsector-size: 512\n\nstart=2048, size=196608, type=e, bootable\nstart=198656, size=1286144, type=83\n",
    );
  });
});
