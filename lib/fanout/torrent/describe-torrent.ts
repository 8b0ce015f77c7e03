/**
 * @module fanout/torrent/describe-torrent
 * A .torrent file read back: what a test, the benchmark or an operator checks in one.
 */
import { createHash } from "node:crypto";
import bencode from "bencode";
import { OrchestraError } from "../../errors.ts";

/** The fields of a single-file torrent that Orchestra sets. */
export interface TorrentDescription {
  readonly infoHash: string;
  readonly announce: string;
  readonly name: string;
  readonly length: number;
  readonly pieceLength: number;
  readonly pieces: number;
  readonly private: boolean;
  readonly webSeedUrls: readonly string[];
}

/** Where the bencoded value starting at `start` ends (exclusive). */
function valueEnd(bytes: Uint8Array, start: number): number {
  const c = String.fromCharCode(bytes[start] ?? 0);
  if (c === "i") return bytes.indexOf(0x65, start) + 1;
  if (c === "l" || c === "d") {
    let at = start + 1;
    while (bytes[at] !== 0x65) {
      if (at >= bytes.length) throw new Error("truncated");
      at = valueEnd(bytes, at);
    }
    return at + 1;
  }
  const colon = bytes.indexOf(0x3a, start);
  if (colon < 0) throw new Error("truncated");
  return colon + 1 + Number(Buffer.from(bytes.subarray(start, colon)).toString("latin1"));
}

/** The raw bytes of the `info` value of a bencoded torrent (its SHA-1 is the infohash). */
function rawInfo(bytes: Uint8Array): Uint8Array {
  if (bytes[0] !== 0x64) throw new Error("not a dictionary");
  let at = 1;
  while (bytes[at] !== 0x65 && at < bytes.length) {
    const keyEnd = valueEnd(bytes, at);
    const key = Buffer.from(bytes.subarray(bytes.indexOf(0x3a, at) + 1, keyEnd)).toString("latin1");
    const end = valueEnd(bytes, keyEnd);
    if (key === "info") return bytes.subarray(keyEnd, end);
    at = end;
  }
  throw new Error("no info dictionary");
}

/** Read a single-file .torrent; a malformed one is INVALID_ARGUMENT. */
export function describeTorrent(torrent: Uint8Array): TorrentDescription {
  try {
    const decoded = bencode.decode(torrent);
    const info = decoded.info;
    const text = (value: Uint8Array | undefined) => (value === undefined ? "" : Buffer.from(value).toString("utf8"));
    const urlList = decoded["url-list"];
    const webSeedUrls = urlList === undefined ? [] : Array.isArray(urlList) ? urlList.map((u: Uint8Array) => text(u)) : [text(urlList)];
    if (typeof info?.length !== "number" || typeof info["piece length"] !== "number" || !(info.pieces instanceof Uint8Array)) throw new Error("not a single-file torrent");
    return {
      infoHash: createHash("sha1").update(rawInfo(torrent)).digest("hex"),
      announce: text(decoded.announce),
      name: text(info.name),
      length: info.length,
      pieceLength: info["piece length"],
      pieces: info.pieces.length / 20,
      private: info.private === 1,
      webSeedUrls,
    };
  } catch (error) {
    throw new OrchestraError("INVALID_ARGUMENT", `not a torrent Orchestra can read: ${(error as Error).message}`);
  }
}
