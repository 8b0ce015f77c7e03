/**
 * @module fanout/tracker/announce-query
 * A BitTorrent announce (BEP 3, BEP 23) read from its query string. `info_hash` and
 * `peer_id` are 20 raw bytes, percent-encoded byte by byte, so the query is decoded here to
 * bytes rather than through URLSearchParams (which decodes to UTF-8 text and loses them).
 */

/** One announce. */
export interface AnnounceQuery {
  /** 40 lowercase hex digits. */
  readonly infoHash: string;
  /** 40 lowercase hex digits. */
  readonly peerId: string;
  readonly port: number;
  readonly uploaded: number;
  readonly downloaded: number;
  readonly left: number;
  readonly event: "started" | "completed" | "stopped" | "";
  readonly compact: boolean;
  readonly numwant: number;
}

/** Percent-decoding to bytes; undefined for a malformed escape. */
function percentBytes(text: string): Buffer | undefined {
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x25) {
      const hex = text.slice(i + 1, i + 3);
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) return undefined;
      out.push(parseInt(hex, 16));
      i += 2;
    } else if (c === 0x2b) {
      out.push(0x20);
    } else if (c < 0x80) {
      out.push(c);
    } else {
      return undefined;
    }
  }
  return Buffer.from(out);
}

function count(fields: Map<string, Buffer>, key: string, fallback?: number): number | string {
  const raw = fields.get(key)?.toString("latin1");
  if (raw === undefined) return fallback ?? `no ${key}`;
  if (!/^\d{1,16}$/.test(raw)) return `${key} is not a number`;
  return Number(raw);
}

/** The announce in `query` (what follows `?`), or the reason it is malformed. */
export function parseAnnounceQuery(query: string): AnnounceQuery | { readonly malformed: string } {
  if (query.length > 4096) return { malformed: "the query is too long" };
  const fields = new Map<string, Buffer>();
  for (const part of query.split("&")) {
    if (part === "") continue;
    const eq = part.indexOf("=");
    const key = percentBytes(eq < 0 ? part : part.slice(0, eq));
    const value = percentBytes(eq < 0 ? "" : part.slice(eq + 1));
    if (!key || !value) return { malformed: "a malformed percent escape" };
    fields.set(key.toString("latin1"), value);
  }
  const infoHash = fields.get("info_hash");
  const peerId = fields.get("peer_id");
  if (infoHash?.length !== 20) return { malformed: "info_hash is not 20 bytes" };
  if (peerId?.length !== 20) return { malformed: "peer_id is not 20 bytes" };
  const port = count(fields, "port");
  const uploaded = count(fields, "uploaded", 0);
  const downloaded = count(fields, "downloaded", 0);
  const left = count(fields, "left", 0);
  const numwant = count(fields, "numwant", 50);
  for (const value of [port, uploaded, downloaded, left, numwant]) if (typeof value === "string") return { malformed: value };
  if ((port as number) < 1 || (port as number) > 65535) return { malformed: "port is out of range" };
  const event = fields.get("event")?.toString("latin1") ?? "";
  if (event !== "" && event !== "started" && event !== "completed" && event !== "stopped" && event !== "empty") return { malformed: `unknown event ${JSON.stringify(event.slice(0, 20))}` };
  return {
    infoHash: infoHash.toString("hex"),
    peerId: peerId.toString("hex"),
    port: port as number,
    uploaded: uploaded as number,
    downloaded: downloaded as number,
    left: left as number,
    event: event === "empty" ? "" : event,
    compact: fields.get("compact")?.toString("latin1") !== "0",
    numwant: Math.min(numwant as number, 200),
  };
}
