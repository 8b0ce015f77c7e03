/**
 * @module ec2/query/parse-form
 * Strict `application/x-www-form-urlencoded` decoding for the EC2 Query API. URLSearchParams
 * is too forgiving for a front door: it turns bad percent escapes and invalid UTF-8 into
 * U+FFFD silently, so a mangled request could reach the store. Here both are refused.
 */
import { OrchestraError } from "../../errors.ts";

/** One decoded `name=value` pair, in the order it was sent. */
export interface FormPair {
  readonly name: string;
  readonly value: string;
}

/** Most parameters any supported action accepts, so a flood of pairs is refused before any work. */
export const MAX_PAIRS = 4096;

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** Decode form-encoded bytes (a body or a raw query string) into pairs; throws EC2_MALFORMED_QUERY. */
export function parseForm(input: Uint8Array | string): FormPair[] {
  const bytes = typeof input === "string" ? Buffer.from(input, "latin1") : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  const pairs: FormPair[] = [];
  let start = 0;
  while (start <= bytes.length) {
    let end = bytes.indexOf(0x26 /* & */, start);
    if (end === -1) end = bytes.length;
    if (end > start) {
      const piece = bytes.subarray(start, end);
      const eq = piece.indexOf(0x3d /* = */);
      const rawName = eq === -1 ? piece : piece.subarray(0, eq);
      const rawValue = eq === -1 ? piece.subarray(piece.length) : piece.subarray(eq + 1);
      const name = decodeComponent(rawName);
      if (name === "") throw malformed("a parameter has an empty name");
      pairs.push({ name, value: decodeComponent(rawValue) });
      if (pairs.length > MAX_PAIRS) throw malformed(`more than ${MAX_PAIRS} parameters`);
    }
    start = end + 1;
  }
  return pairs;
}

/** Percent-decode one name or value (`+` is a space) and check it is UTF-8 that XML can carry. */
export function decodeComponent(raw: Uint8Array): string {
  const out = Buffer.allocUnsafe(raw.length);
  let n = 0;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (c === 0x25 /* % */) {
      const hi = hexValue(raw[i + 1]);
      const lo = hexValue(raw[i + 2]);
      if (hi < 0 || lo < 0) throw malformed("a percent escape is not followed by two hex digits");
      out[n++] = hi * 16 + lo;
      i += 2;
    } else if (c === 0x2b /* + */) {
      out[n++] = 0x20;
    } else {
      out[n++] = c;
    }
  }
  let text: string;
  try {
    text = utf8.decode(out.subarray(0, n));
  } catch {
    throw malformed("a parameter is not valid UTF-8");
  }
  if (!isXmlSafe(text)) throw malformed("a parameter holds a control character that XML cannot carry");
  return text;
}

/** Whether every character can appear in an XML 1.0 document (answers echo values back). */
export function isXmlSafe(text: string): boolean {
  // Tab, LF and CR are allowed; other C0 controls, U+FFFE/U+FFFF and lone surrogates are not
  // (with the u flag a surrogate range only matches an unpaired half).
  return !/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff\ud800-\udfff]/u.test(text);
}

function hexValue(c: number | undefined): number {
  if (c === undefined) return -1;
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

function malformed(why: string): OrchestraError {
  return new OrchestraError("EC2_MALFORMED_QUERY", `The query string is malformed: ${why}.`);
}
