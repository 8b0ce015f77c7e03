/**
 * The disk a disk image fills once written, read from the format's own records: a gzip or xz
 * file's uncompressed size, not its (much smaller) length; qcow2, which the deploy ramdisk
 * cannot write, and a truncated compressed file are refused.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { execa } from "execa";
import { afterAll, describe, expect, it } from "vitest";
import { diskImageNeed } from "../../lib/images/disk-image-format.ts";

const dir = mkdtempSync(join(tmpdir(), `orchestra-disk-format-${process.pid}-`));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const MIB = 1024 ** 2;
/** A disk's worth of bytes that compresses well, as a real image's zeroed free space does. */
function disk(mib: number): Buffer {
  const bytes = Buffer.alloc(mib * MIB);
  bytes.write("ORCHESTRA TEST DISK", 510 * 1024);
  return bytes;
}

describe("diskImageNeed", () => {
  it("is a raw image's own size", async () => {
    writeFileSync(join(dir, "raw.img"), disk(3));
    expect(await diskImageNeed(join(dir, "raw.img"))).toEqual({ format: "raw", diskBytes: 3 * MIB });
  });

  it("is a gzip image's uncompressed size (ISIZE), not its length", async () => {
    const path = join(dir, "disk.img.gz");
    writeFileSync(path, gzipSync(disk(16), { level: 1 }));
    expect(readFileSync(path).length).toBeLessThan(MIB);
    expect(await diskImageNeed(path)).toEqual({ format: "gz", diskBytes: 16 * MIB });
  });

  it("is an xz image's uncompressed size from its index, over every stream", async () => {
    const one = join(dir, "one.img");
    writeFileSync(one, disk(5));
    // Several blocks in one stream, then a second stream after stream padding (xz reads such a concatenation whole).
    await execa("xz", ["-k", "-1", "--block-size=1MiB", one]);
    const two = join(dir, "two.img");
    writeFileSync(two, disk(2));
    await execa("xz", ["-k", "-1", two]);
    const both = join(dir, "both.img.xz");
    writeFileSync(both, Buffer.concat([readFileSync(`${one}.xz`), Buffer.alloc(8), readFileSync(`${two}.xz`), Buffer.alloc(4)]));
    expect(await diskImageNeed(`${one}.xz`)).toEqual({ format: "xz", diskBytes: 5 * MIB });
    expect(await diskImageNeed(both)).toEqual({ format: "xz", diskBytes: 7 * MIB });
    // xz itself agrees with the concatenation.
    expect((await execa("xz", ["-dc", both], { encoding: "buffer" })).stdout.length).toBe(7 * MIB);
  });

  it("refuses a qcow2 image, which the deploy ramdisk would write byte for byte", async () => {
    // A qcow2 version 3 header (magic QFI\xfb, version, ..., virtual size at byte 24), as qemu-img writes it.
    const header = Buffer.alloc(512);
    header.write("QFI\xfb", 0, "latin1");
    header.writeUInt32BE(3, 4);
    header.writeBigUInt64BE(20n * 1024n ** 3n, 24);
    writeFileSync(join(dir, "disk.qcow2"), header);
    await expect(diskImageNeed(join(dir, "disk.qcow2"))).rejects.toMatchObject({ code: "IMAGE_SOURCE_INVALID", message: expect.stringMatching(/qcow2.*qemu-img convert -O raw/) });
  });

  it("refuses a compressed file cut short", async () => {
    const xz = join(dir, "cut.img.xz");
    writeFileSync(xz, readFileSync(join(dir, "one.img.xz")).subarray(0, 300));
    await expect(diskImageNeed(xz)).rejects.toMatchObject({ code: "IMAGE_SOURCE_INVALID" });
    const gz = join(dir, "cut.img.gz");
    writeFileSync(gz, Buffer.from([0x1f, 0x8b, 8]));
    await expect(diskImageNeed(gz)).rejects.toMatchObject({ code: "IMAGE_SOURCE_INVALID" });
  });
});
