import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { storeImageSource } from "../../lib/ec2/model/image-source.ts";
import { addImage, getImage, listImages, removeImage } from "../../lib/images/image-store.ts";
import { tempDataDir } from "../helpers/inventory.ts";

const data = tempDataDir();
afterAll(() => data.cleanup());
for (const name of ["kernel", "initrd", "disk.img.gz"]) writeFileSync(join(data.dir, name), `${name} bytes`);
const files = { kernel: { path: join(data.dir, "kernel") }, initrd: { path: join(data.dir, "initrd") } };
const meta = { name: "debian-12-cloud", role: "os", release: "bookworm", architecture: "amd64", source: "test" } as const;

describe("an image's root partition", () => {
  it("is stored with a disk image and read back", async () => {
    const image = await addImage(data.dir, { ...meta, rootPartition: 2 }, { ...files, root: { path: join(data.dir, "disk.img.gz") } });
    expect(image.rootPartition).toBe(2);
    expect((await getImage(data.dir, image.id)).rootPartition).toBe(2);
  });

  it("is absent from images that are not disk images", async () => {
    const image = await addImage(data.dir, meta, files);
    expect("rootPartition" in image).toBe(false);
  });

  it("must be a partition number, and needs a root disk image to be in", async () => {
    const before = (await listImages(data.dir)).length;
    for (const rootPartition of [0, 2.5, 5, 129, Number.NaN]) {
      await expect(addImage(data.dir, { ...meta, rootPartition }, { ...files, root: { path: join(data.dir, "disk.img.gz") } })).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
    }
    await expect(addImage(data.dir, { ...meta, rootPartition: 2 }, files)).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
    expect((await listImages(data.dir)).length).toBe(before);
  });
});

describe("what an image needs of a machine", () => {
  it("records the disk a compressed root fills, and the memory it was given", async () => {
    const path = join(data.dir, "big.img.gz");
    writeFileSync(path, gzipSync(Buffer.alloc(24 * 1024 ** 2), { level: 1 }));
    const image = await addImage(data.dir, { ...meta, rootPartition: 2, minMemoryMib: 1024 }, { ...files, root: { path } });
    expect(image.files.root!.sizeBytes).toBeLessThan(1024 ** 2);
    const stored = await getImage(data.dir, image.id);
    expect(stored.minDiskBytes).toBe(24 * 1024 ** 2);
    expect(stored.minMemoryMib).toBe(1024);
    // EC2 sees the same needs (the store's images as RunInstances and DescribeImages see them).
    const offered = (await storeImageSource(data.dir)()).find((i) => i.imageId === image.id)!;
    expect(offered).toMatchObject({ minDiskBytes: 24 * 1024 ** 2, minMemoryMib: 1024 });
  });

  it("refuses a memory that is not a whole number of MiB, or one without a disk image", async () => {
    const before = (await listImages(data.dir)).length;
    for (const minMemoryMib of [0, -1, 1.5, Number.NaN]) {
      await expect(addImage(data.dir, { ...meta, minMemoryMib }, { ...files, root: { path: join(data.dir, "disk.img.gz") } })).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
    }
    await expect(addImage(data.dir, { ...meta, minMemoryMib: 512 }, files)).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
    expect((await listImages(data.dir)).length).toBe(before);
  });
});

describe("the image list (kept between requests, re-read when the images directory changes)", () => {
  it("sees an image added or removed right after a listing, and a listing's array is the caller's own", async () => {
    const { dir: data, cleanup } = tempDataDir();
    try {
      writeFileSync(join(data, "k"), "kernel");
      writeFileSync(join(data, "i"), "initrd");
      const files = { kernel: { path: join(data, "k") }, initrd: { path: join(data, "i") } };
      expect(await listImages(data)).toEqual([]);
      const first = await addImage(data, { name: "one", role: "discovery", release: "r", architecture: "amd64", source: "test" }, files);
      expect((await listImages(data)).map((i) => i.id)).toEqual([first.id]);
      const second = await addImage(data, { name: "two", role: "discovery", release: "r", architecture: "amd64", source: "test" }, files);
      const listing = await listImages(data);
      expect(listing.map((i) => i.id)).toEqual([first.id, second.id]);
      listing.pop();
      expect((await listImages(data)).map((i) => i.id)).toEqual([first.id, second.id]);
      await removeImage(data, first.id);
      expect((await listImages(data)).map((i) => i.id)).toEqual([second.id]);
    } finally {
      cleanup();
    }
  });
});
