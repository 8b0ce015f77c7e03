/**
 * @module inventory/mac-address
 * MAC addresses in one canonical form (lower-case, colon-separated), so that a MAC typed
 * as `52-54-00-AB-CD-EF` and one reported by a node as `52:54:00:ab:cd:ef` are the same key.
 */
import { OrchestraError } from "../errors.ts";

const SEPARATED = /^([0-9a-f]{2})([:-])([0-9a-f]{2})\2([0-9a-f]{2})\2([0-9a-f]{2})\2([0-9a-f]{2})\2([0-9a-f]{2})$/i;
const BARE = /^[0-9a-f]{12}$/i;

/**
 * Parse a MAC address into canonical form, refusing anything that cannot be a NIC's own
 * address (malformed, all zeros, broadcast or multicast).
 * @example parseMac("52-54-00-AB-CD-EF") // "52:54:00:ab:cd:ef"
 */
export function parseMac(text: string): string {
  const trimmed = typeof text === "string" ? text.trim() : "";
  let hex: string;
  const separated = SEPARATED.exec(trimmed);
  if (separated) hex = [1, 3, 4, 5, 6, 7].map((i) => separated[i]).join("");
  else if (BARE.test(trimmed)) hex = trimmed;
  else throw new OrchestraError("INVALID_MAC", `invalid MAC address ${JSON.stringify(text)}: expected six hex octets such as 52:54:00:12:34:56`, { mac: text });
  hex = hex.toLowerCase();
  if (/^0{12}$/.test(hex)) throw new OrchestraError("INVALID_MAC", `invalid MAC address ${text}: all zeros`, { mac: text });
  // The low bit of the first octet marks group (multicast/broadcast) addresses, which no NIC owns.
  if (parseInt(hex.slice(0, 2), 16) & 1) throw new OrchestraError("INVALID_MAC", `invalid MAC address ${text}: a multicast or broadcast address cannot belong to a NIC`, { mac: text });
  return hex.match(/../g)!.join(":");
}
