import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listImages, imagesDir, removeImage } from "../../lib/images/image-store.ts";
import { importImage } from "../../lib/images/import-image.ts";
import { tempDataDir } from "../helpers/inventory.ts";

const data = tempDataDir();
const meta = { name: "test", role: "os", release: "bookworm", architecture: "amd64", source: "test" } as const;
const sha = (text: string) => createHash("sha256").update(text).digest("hex");

const files: Record<string, string> = { "/linux": "kernel bytes", "/initrd.gz": "initrd bytes" };
let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((request, response) => {
    const body = files[request.url ?? ""];
    if (body === undefined) return response.writeHead(404).end();
    response.writeHead(200, { "content-length": Buffer.byteLength(body) }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  data.cleanup();
});

/** Nothing half-imported is left: no image, no staging directory. */
function imageDirEntries(): string[] {
  try {
    return readdirSync(imagesDir(data.dir));
  } catch {
    return [];
  }
}

describe("image import", () => {
  it("from HTTP with the right checksums registers the image, with progress reported", async () => {
    const seen: string[] = [];
    const image = await importImage(data.dir, meta, { kind: "url", kernel: `${base}/linux`, initrd: `${base}/initrd.gz`, sha256: { kernel: sha("kernel bytes"), initrd: sha("initrd bytes") } }, (file, received, total) => seen.push(`${file}:${received}/${total}`));
    expect(image.files.kernel).toEqual({ sizeBytes: 12, sha256: sha("kernel bytes") });
    expect(seen).toContain("kernel:12/12");
    expect(seen).toContain("initrd:12/12");
    await removeImage(data.dir, image.id);
  });

  it("from HTTP with a bad checksum is refused and leaves nothing behind", async () => {
    const before = imageDirEntries();
    await expect(
      importImage(data.dir, meta, { kind: "url", kernel: `${base}/linux`, initrd: `${base}/initrd.gz`, sha256: { kernel: sha("kernel bytes"), initrd: sha("something else") } }),
    ).rejects.toMatchObject({ code: "IMAGE_CHECKSUM_MISMATCH", message: expect.stringMatching(/initrd .* has SHA-256 .* expected .*nothing was imported/) });
    expect(imageDirEntries()).toEqual(before);
    expect(await listImages(data.dir)).toEqual([]);
  });

  it("from HTTP without checksums, or from a missing file, is refused", async () => {
    await expect(importImage(data.dir, meta, { kind: "url", kernel: `${base}/linux`, initrd: `${base}/initrd.gz`, sha256: { kernel: sha("kernel bytes") } })).rejects.toMatchObject({ code: "MISSING_ARGUMENT" });
    await expect(importImage(data.dir, meta, { kind: "url", kernel: `${base}/nothing`, initrd: `${base}/initrd.gz`, sha256: { kernel: sha("x"), initrd: sha("initrd bytes") } })).rejects.toMatchObject({ code: "IMAGE_SOURCE_INVALID", message: expect.stringMatching(/HTTP 404/) });
    expect(await listImages(data.dir)).toEqual([]);
  });

  it("from a directory finds the kernel and initrd and checks a SHA256SUMS beside them", async () => {
    const dir = join(data.dir, "netboot");
    mkdirSync(dir);
    writeFileSync(join(dir, "vmlinuz"), "k");
    writeFileSync(join(dir, "initrd.gz"), "i");
    const image = await importImage(data.dir, meta, { kind: "directory", path: dir });
    expect(image.files.initrd.sha256).toBe(sha("i"));
    writeFileSync(join(dir, "SHA256SUMS"), `${sha("k")}  vmlinuz\n${sha("not i")}  initrd.gz\n`);
    await expect(importImage(data.dir, meta, { kind: "directory", path: dir })).rejects.toMatchObject({ code: "IMAGE_CHECKSUM_MISMATCH" });
    expect((await listImages(data.dir)).map((i) => i.id)).toEqual([image.id]);
    await removeImage(data.dir, image.id);
  });

  it("from a directory without a kernel, or one that does not exist, is refused", async () => {
    const dir = join(data.dir, "empty");
    mkdirSync(dir);
    await expect(importImage(data.dir, meta, { kind: "directory", path: dir })).rejects.toMatchObject({ code: "IMAGE_SOURCE_INVALID" });
    await expect(importImage(data.dir, meta, { kind: "directory", path: join(data.dir, "nope") })).rejects.toMatchObject({ code: "IMAGE_SOURCE_INVALID" });
  });

  it("from an installed Debian package follows linux-image-amd64 to its kernel", async () => {
    const image = await importImage(data.dir, { ...meta, name: "debian-kernel" }, { kind: "package", name: "linux-image-amd64" });
    expect(image.source).toBe("deb:linux-image-amd64");
    expect(image.files.kernel.sizeBytes).toBeGreaterThan(1_000_000);
    await removeImage(data.dir, image.id);
    await expect(importImage(data.dir, meta, { kind: "package", name: "no-such-package-here" })).rejects.toMatchObject({ code: "PREREQUISITE_MISSING" });
    await expect(importImage(data.dir, meta, { kind: "package", name: "bad name;rm" })).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
  });

  it("refuses bad metadata before copying anything", async () => {
    await expect(importImage(data.dir, { ...meta, name: "../evil" }, { kind: "url", kernel: `${base}/linux`, initrd: `${base}/initrd.gz`, sha256: { kernel: sha("kernel bytes"), initrd: sha("initrd bytes") } })).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
    expect(await listImages(data.dir)).toEqual([]);
  });
});
