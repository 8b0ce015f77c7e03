import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import bencode from "bencode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createImageTorrent, describeTorrent, imageTorrentCachePath } from "../../../lib/fanout/index.ts";

let dir: string;
let image: string;
let bytes: Buffer;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "orchestra-fanout-torrent-"));
  image = join(dir, "root");
  bytes = randomBytes(3 * 262144 + 1000);
  await writeFile(image, bytes);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe("createImageTorrent", () => {
  it("makes a private single-file torrent whose pieces are the file's SHA-1s", async () => {
    const made = await createImageTorrent({ path: image, name: "test-os.img", announceUrl: "http://192.0.2.1:5249/fanout/AAAA/announce" });
    expect(made).toMatchObject({ pieceLength: 262144, pieces: 4 });
    const read = describeTorrent(made.torrent);
    expect(read).toEqual({ infoHash: made.infoHash, announce: "http://192.0.2.1:5249/fanout/AAAA/announce", name: "test-os.img", length: bytes.length, pieceLength: 262144, pieces: 4, private: true, webSeedUrls: [] });
    const info = bencode.decode(made.torrent).info;
    for (let i = 0; i < 4; i++) {
      const piece = bytes.subarray(i * 262144, (i + 1) * 262144);
      expect(Buffer.from(info.pieces.subarray(i * 20, i * 20 + 20)).toString("hex")).toBe(createHash("sha1").update(piece).digest("hex"));
    }
    // The infohash is the SHA-1 of the info dictionary as bencoded.
    expect(createHash("sha1").update(bencode.encode(info)).digest("hex")).toBe(made.infoHash);
  });

  it("gives every deployment the same infohash: only the announce URL differs", async () => {
    const a = await createImageTorrent({ path: image, name: "test-os.img", announceUrl: "http://192.0.2.1/fanout/token-a/announce" });
    const b = await createImageTorrent({ path: image, name: "test-os.img", announceUrl: "http://192.0.2.1/fanout/token-b/announce", webSeedUrls: ["http://192.0.2.1/images/x/root"] });
    expect(b.infoHash).toBe(a.infoHash);
    expect(describeTorrent(b.torrent).webSeedUrls).toEqual(["http://192.0.2.1/images/x/root"]);
    expect(Buffer.from(a.torrent).includes("token-b")).toBe(false);
  });

  it("hashes an image once: the info dictionary is cached beside it, keyed by the image's SHA-256", async () => {
    const sha = createHash("sha256").update(bytes).digest("hex");
    const cachePath = imageTorrentCachePath(dir, sha, 262144);
    expect(cachePath).toBe(join(dir, "fanout", `${sha}-262144.info`));
    const first = await createImageTorrent({ path: image, name: "test-os.img", announceUrl: "http://192.0.2.1/a", cachePath });
    const cachedAt = (await stat(cachePath)).mtimeMs;
    const second = await createImageTorrent({ path: image, name: "test-os.img", announceUrl: "http://192.0.2.1/b", cachePath });
    expect(second.infoHash).toBe(first.infoHash);
    expect((await stat(cachePath)).mtimeMs).toBe(cachedAt);
    // The cache is what is read: a cached dictionary is used as it is (the image file is immutable by its SHA-256).
    expect(createHash("sha1").update(await readFile(cachePath)).digest("hex")).toBe(first.infoHash);
    // A cache for another name is not used.
    const renamed = await createImageTorrent({ path: image, name: "other.img", announceUrl: "http://192.0.2.1/b", cachePath });
    expect(renamed.infoHash).not.toBe(first.infoHash);
  });

  it("refuses bad input with INVALID_ARGUMENT and writes nothing", async () => {
    const cachePath = join(dir, "never", "x.info");
    const base = { path: image, name: "ok.img", announceUrl: "http://192.0.2.1/a", cachePath };
    const refused = expect.objectContaining({ code: "INVALID_ARGUMENT" });
    await expect(createImageTorrent({ ...base, name: "../etc/passwd" })).rejects.toThrow(refused);
    await expect(createImageTorrent({ ...base, announceUrl: "udp://192.0.2.1:6969" })).rejects.toThrow(refused);
    await expect(createImageTorrent({ ...base, webSeedUrls: ["file:///etc/passwd"] })).rejects.toThrow(refused);
    await expect(createImageTorrent({ ...base, path: join(dir, "missing") })).rejects.toThrow(refused);
    await expect(createImageTorrent({ ...base, path: dir })).rejects.toThrow(refused);
    await expect(createImageTorrent({ ...base, pieceLength: 300000 })).rejects.toThrow(refused);
    await writeFile(join(dir, "empty"), "");
    await expect(createImageTorrent({ ...base, path: join(dir, "empty") })).rejects.toThrow(refused);
    await expect(stat(join(dir, "never"))).rejects.toThrow();
    expect(() => imageTorrentCachePath(dir, "../x", 262144)).toThrow(refused);
    expect(() => describeTorrent(Buffer.from("not bencode"))).toThrow(refused);
  });
});
