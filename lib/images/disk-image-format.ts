/**
 * @module images/disk-image-format
 * What a disk image file is (raw, gzip or xz, the forms the deploy ramdisk streams onto a
 * disk) and how large a disk it needs once written: read from the format's own records
 * (gzip's ISIZE trailer, xz's index), not from the compressed file's length, which for the
 * built Debian image is a quarter of the disk it fills.
 */
import { open } from "node:fs/promises";
import { OrchestraError } from "../errors.ts";

/** The compressions the ramdisk can stream through: none, gzip and xz. */
export type ImageFormat = "raw" | "gz" | "xz";

const XZ_MAGIC = [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00];
const QCOW_MAGIC = [0x51, 0x46, 0x49, 0xfb];
const TWO_32 = 2 ** 32;

/** The format of an image file, from its first bytes (magic numbers, not the file name). */
export function imageFormatOf(head: Uint8Array): ImageFormat {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return "gz";
  if (head.length >= 6 && XZ_MAGIC.every((byte, i) => head[i] === byte)) return "xz";
  return "raw";
}

async function readAt(handle: Awaited<ReturnType<typeof open>>, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  const { bytesRead } = await handle.read(buffer, 0, length, position);
  return buffer.subarray(0, bytesRead);
}

/**
 * The uncompressed size gzip records: ISIZE, the last member's length modulo 2^32. Below
 * 4 GiB that is exact (the built image is 1.3 GB); above, the smallest size congruent to it
 * that the compressed length allows (deflate never grows data by more than a few bytes per
 * 64 KiB block), so the answer stays a lower bound and never an overestimate.
 */
function gzipNeed(trailer: Buffer, fileBytes: number): number {
  const isize = trailer.readUInt32LE(trailer.length - 4);
  const floor = Math.max(0, Math.floor(fileBytes * 0.999) - 64);
  return isize >= floor ? isize : isize + Math.ceil((floor - isize) / TWO_32) * TWO_32;
}

/** Read one xz multibyte integer at `offset`; answers the value and the next offset. */
function xzVarint(buffer: Buffer, offset: number): [number, number] {
  let value = 0;
  for (let i = 0; i < 9; i++) {
    const byte = buffer[offset + i];
    if (byte === undefined) break;
    value += (byte & 0x7f) * 2 ** (7 * i);
    if ((byte & 0x80) === 0) return [value, offset + i + 1];
  }
  throw new Error("malformed xz index");
}

/**
 * The uncompressed size xz records: the sum of every block's uncompressed size in each
 * stream's index, walking back from the file's end through concatenated streams.
 */
async function xzNeed(handle: Awaited<ReturnType<typeof open>>, fileBytes: number): Promise<number> {
  let end = fileBytes;
  let total = 0;
  while (end > 0) {
    // Stream padding: zero bytes in fours after a stream.
    while (end >= 4 && (await readAt(handle, end - 4, 4)).every((b) => b === 0)) end -= 4;
    if (end === 0) break;
    const footer = await readAt(handle, end - 12, 12);
    if (footer.length !== 12 || footer[10] !== 0x59 || footer[11] !== 0x5a) throw new Error("no xz stream footer");
    const indexBytes = (footer.readUInt32LE(4) + 1) * 4;
    const indexStart = end - 12 - indexBytes;
    const index = await readAt(handle, indexStart, indexBytes);
    if (indexStart < 12 || index[0] !== 0) throw new Error("malformed xz index");
    let [records, at] = xzVarint(index, 1);
    let blocks = 0;
    for (; records > 0; records--) {
      const [unpadded, next] = xzVarint(index, at);
      const [uncompressed, after] = xzVarint(index, next);
      blocks += Math.ceil(unpadded / 4) * 4;
      total += uncompressed;
      at = after;
    }
    end = indexStart - blocks - 12;
    if (end < 0) throw new Error("malformed xz index");
  }
  return total;
}

/**
 * The disk a disk image file fills once the deploy ramdisk has written it, in bytes, and its
 * format. A format the ramdisk cannot write (qcow2) or a compressed file whose records do
 * not parse is refused: deploying it could only fail on the machine.
 * @throws IMAGE_SOURCE_INVALID
 */
export async function diskImageNeed(path: string): Promise<{ format: ImageFormat; diskBytes: number }> {
  const handle = await open(path, "r");
  try {
    const { size } = await handle.stat();
    const head = await readAt(handle, 0, 8);
    if (head.length >= 4 && QCOW_MAGIC.every((byte, i) => head[i] === byte)) {
      throw new OrchestraError("IMAGE_SOURCE_INVALID", `the disk image ${path} is qcow2, which the deploy ramdisk cannot write: convert it first (qemu-img convert -O raw IN OUT, then gzip or xz it if you like)`, { path, format: "qcow2" });
    }
    const format = imageFormatOf(head);
    try {
      if (format === "gz") return { format, diskBytes: gzipNeed(await readAt(handle, Math.max(0, size - 4), 4), size) };
      if (format === "xz") return { format, diskBytes: await xzNeed(handle, size) };
    } catch (error) {
      if (error instanceof OrchestraError) throw error;
      throw new OrchestraError("IMAGE_SOURCE_INVALID", `the disk image ${path} is not a complete ${format} file (${(error as Error).message})`, { path, format });
    }
    return { format, diskBytes: size };
  } finally {
    await handle.close();
  }
}
