/**
 * Reading an MBR partition table straight from a disk image's first sector, written here
 * rather than imported from lib/ so that tests check the image against an independent reading.
 */
import { open } from "node:fs/promises";

/** One primary partition entry. */
export interface MbrEntry {
  readonly number: number;
  readonly bootable: boolean;
  readonly type: number;
  readonly startSector: number;
  readonly sectors: number;
}

/** The first sector of a disk image: its boot code, signature check, and non-empty primary entries. */
export async function readMbr(disk: string): Promise<{ bootCode: Buffer; entries: MbrEntry[] }> {
  const handle = await open(disk, "r");
  try {
    const sector = Buffer.alloc(512);
    await handle.read(sector, 0, 512, 0);
    if (sector.readUInt16LE(510) !== 0xaa55) throw new Error(`${disk} has no MBR boot signature`);
    const entries: MbrEntry[] = [];
    for (let i = 0; i < 4; i++) {
      const at = 446 + i * 16;
      const status = sector[at]!;
      if (status !== 0 && status !== 0x80) throw new Error(`partition ${i + 1} has status byte ${status}`);
      const entry = { number: i + 1, bootable: status === 0x80, type: sector[at + 4]!, startSector: sector.readUInt32LE(at + 8), sectors: sector.readUInt32LE(at + 12) };
      if (entry.type !== 0) entries.push(entry);
    }
    return { bootCode: sector.subarray(0, 440), entries };
  } finally {
    await handle.close();
  }
}
