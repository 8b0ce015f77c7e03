/**
 * @module fanout/torrent/image-torrent
 * The torrent of one image file. Its info dictionary (name, length, piece length, piece
 * hashes, private flag) depends only on the file, so every deployment of an image joins the
 * same swarm (one infohash); only the announce URL, which carries the deployment's token,
 * differs per deployment. Hashing a large image takes seconds, so the info dictionary is
 * cached in a file keyed by the image's SHA-256 and made once per image, not per request.
 *
 * The torrent is private (BEP 27: `private=1`), so clients use only the tracker given here:
 * no DHT, no peer exchange, no local peer discovery; a tenant's image is never announced
 * anywhere else.
 */
import { createHash } from "node:crypto";
import { mkdir, open, readFile, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import bencode from "bencode";
import { OrchestraError } from "../../errors.ts";
import { writeFileAtomic } from "../../files/write-file-atomic.ts";
import { chooseTorrentPieceLength, MAX_PIECE_LENGTH, MIN_PIECE_LENGTH } from "./piece-length.ts";

/** What to make a torrent of. */
export interface ImageTorrentOptions {
  /** The image file. */
  readonly path: string;
  /** The file's name in the torrent (the same for every deployment of the image). */
  readonly name: string;
  /** The tracker URL, with the caller's token in it. */
  readonly announceUrl: string;
  /** HTTP URLs of the same file (BEP 19 `url-list`); none by default, so peers, not the server, carry the load. */
  readonly webSeedUrls?: readonly string[];
  /** Default: chooseTorrentPieceLength(file size). */
  readonly pieceLength?: number;
  /** Where the info dictionary is cached (see imageTorrentCachePath); without it the file is hashed every call. */
  readonly cachePath?: string;
}

/** A torrent made by createImageTorrent. */
export interface ImageTorrent {
  /** The .torrent file's bytes. */
  readonly torrent: Uint8Array;
  /** SHA-1 of the bencoded info dictionary, 40 lowercase hex digits. */
  readonly infoHash: string;
  readonly pieceLength: number;
  readonly pieces: number;
}

const SAFE_NAME = /^[A-Za-z0-9._-]{1,200}$/;

/** Where the info dictionary of the image with SHA-256 `imageSha256` is cached in a data directory. */
export function imageTorrentCachePath(dataDir: string, imageSha256: string, pieceLength: number): string {
  if (!/^[0-9a-f]{64}$/.test(imageSha256)) throw new OrchestraError("INVALID_ARGUMENT", `an image SHA-256 is 64 lowercase hex digits, not ${JSON.stringify(imageSha256)}`);
  return join(dataDir, "fanout", `${imageSha256}-${pieceLength}.info`);
}

/** SHA-1 of every `pieceLength` bytes of the file, concatenated (the torrent's `pieces`). */
async function hashPieces(path: string, length: number, pieceLength: number): Promise<Buffer> {
  const count = Math.ceil(length / pieceLength);
  const hashes = Buffer.alloc(count * 20);
  const buffer = Buffer.alloc(pieceLength);
  const file = await open(path, "r");
  try {
    for (let index = 0; index < count; index++) {
      const want = Math.min(pieceLength, length - index * pieceLength);
      let got = 0;
      while (got < want) {
        const { bytesRead } = await file.read(buffer, got, want - got, index * pieceLength + got);
        if (bytesRead === 0) throw new OrchestraError("INVALID_ARGUMENT", `${path} shrank while it was hashed`);
        got += bytesRead;
      }
      createHash("sha1").update(buffer.subarray(0, want)).digest().copy(hashes, index * 20);
    }
  } finally {
    await file.close();
  }
  return hashes;
}

interface InfoDictionary {
  length: number;
  name: string;
  "piece length": number;
  pieces: Uint8Array;
  private: 1;
}

/** The cached info dictionary, if it is the one for this file (same name, length and piece length). */
async function cachedInfo(cachePath: string, expected: Omit<InfoDictionary, "pieces">): Promise<Uint8Array | undefined> {
  const bytes = await readFile(cachePath).catch(() => undefined);
  if (!bytes) return undefined;
  try {
    const info = bencode.decode(bytes);
    const name = new TextDecoder().decode(info.name);
    const fits = name === expected.name && info.length === expected.length && info["piece length"] === expected["piece length"] && info.private === 1;
    return fits && info.pieces?.length === Math.ceil(expected.length / expected["piece length"]) * 20 ? bytes : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The private torrent of the image file at `options.path`.
 *
 * @example
 * const { torrent, infoHash } = await createImageTorrent({ path: "/var/lib/orchestra/images/i-1/root", name: "i-1.img", announceUrl: "http://192.0.2.1:5249/fanout/TOKEN/announce" });
 */
export async function createImageTorrent(options: ImageTorrentOptions): Promise<ImageTorrent> {
  if (!SAFE_NAME.test(options.name)) throw new OrchestraError("INVALID_ARGUMENT", `a torrent name is 1-200 of A-Z a-z 0-9 . _ -, not ${JSON.stringify(options.name)}`);
  for (const url of [options.announceUrl, ...(options.webSeedUrls ?? [])]) {
    if (!/^https?:\/\/[^\s]+$/.test(url)) throw new OrchestraError("INVALID_ARGUMENT", `a torrent URL is http(s), not ${JSON.stringify(url)}`);
  }
  const file = await stat(options.path).catch((error: NodeJS.ErrnoException) => {
    throw new OrchestraError("INVALID_ARGUMENT", `cannot make a torrent of ${options.path}: ${error.code ?? error.message}`);
  });
  if (!file.isFile()) throw new OrchestraError("INVALID_ARGUMENT", `cannot make a torrent of ${options.path}: not a file`);
  if (file.size === 0) throw new OrchestraError("INVALID_ARGUMENT", `cannot make a torrent of ${options.path}: the file is empty`);
  const pieceLength = options.pieceLength ?? chooseTorrentPieceLength(file.size);
  if (!Number.isInteger(Math.log2(pieceLength)) || pieceLength < 16 * 1024 || pieceLength > MAX_PIECE_LENGTH) {
    throw new OrchestraError("INVALID_ARGUMENT", `a piece length is a power of two from 16 KiB to 16 MiB (${MIN_PIECE_LENGTH} is the usual least), not ${pieceLength}`);
  }
  const shape = { length: file.size, name: options.name, "piece length": pieceLength, private: 1 as const };
  let info = options.cachePath ? await cachedInfo(options.cachePath, shape) : undefined;
  if (!info) {
    const pieces = await hashPieces(options.path, file.size, pieceLength);
    info = bencode.encode({ ...shape, pieces } satisfies InfoDictionary);
    if (options.cachePath) {
      await mkdir(dirname(options.cachePath), { recursive: true });
      await writeFileAtomic(options.cachePath, info);
    }
  }
  const infoHash = createHash("sha1").update(info).digest("hex");
  // The info dictionary is spliced in as bytes, so the infohash is exactly the cached one's.
  const head = bencode.encode({
    announce: options.announceUrl,
    "created by": "orchestra",
    ...(options.webSeedUrls?.length ? { "url-list": [...options.webSeedUrls] } : {}),
  });
  const torrent = splice(head, "info", info);
  return { torrent, infoHash, pieceLength, pieces: Math.ceil(file.size / pieceLength) };
}

/** `dictionary` (bencoded, keys sorted) with `key` → `raw` (already bencoded) added in its sorted place. */
function splice(dictionary: Uint8Array, key: string, raw: Uint8Array): Uint8Array {
  const decoded = bencode.decode(dictionary);
  const parts: Uint8Array[] = [Buffer.from("d")];
  const keys = [...Object.keys(decoded), key].sort();
  for (const k of keys) {
    parts.push(bencode.encode(Buffer.from(k)));
    parts.push(k === key ? raw : bencode.encode(decoded[k]));
  }
  parts.push(Buffer.from("e"));
  return Buffer.concat(parts);
}
