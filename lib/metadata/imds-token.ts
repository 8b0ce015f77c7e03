/**
 * @module metadata/imds-token
 * IMDSv2 session tokens. A token is stateless (nothing to store, so nothing to exhaust): it
 * carries its expiry and an HMAC over that expiry, the node's address and its instance id,
 * under a key that lives only in this process. A token is therefore good only for the node
 * and instance it was issued to, and a restart invalidates every token (clients re-ask on 401).
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { OrchestraError } from "../errors.ts";

/** EC2's bounds on a token's lifetime, in seconds. */
export const MIN_TOKEN_TTL = 1;
export const MAX_TOKEN_TTL = 21_600;

const TOKEN = /^v1\.(\d{1,12})\.([A-Za-z0-9_-]{43})$/;

/** Issues and checks IMDSv2 tokens. */
export class ImdsTokens {
  readonly #key: Buffer;
  readonly #now: () => number;

  constructor(options: { key?: Buffer; now?: () => number } = {}) {
    this.#key = options.key ?? randomBytes(32);
    this.#now = options.now ?? Date.now;
  }

  /** Parse the TTL header value. @throws IMDS_TOKEN_TTL_INVALID */
  static parseTtl(header: string | string[] | undefined): number {
    // A repeated header is ambiguous: refused, like any other malformed TTL.
    const text = Array.isArray(header) ? undefined : header;
    const ttl = text !== undefined && /^\d{1,5}$/.test(text) ? Number(text) : NaN;
    if (!(ttl >= MIN_TOKEN_TTL && ttl <= MAX_TOKEN_TTL)) {
      throw new OrchestraError("IMDS_TOKEN_TTL_INVALID", `X-aws-ec2-metadata-token-ttl-seconds must be ${MIN_TOKEN_TTL}-${MAX_TOKEN_TTL}`);
    }
    return ttl;
  }

  /** A token for `address` and `instanceId`, valid for `ttl` seconds. */
  issue(address: string, instanceId: string, ttl: number): string {
    const expires = Math.floor(this.#now() / 1000) + ttl;
    return `v1.${expires}.${this.#mac(expires, address, instanceId)}`;
  }

  /** Check `token` for this node. @throws IMDS_TOKEN_INVALID */
  verify(token: string | string[] | undefined, address: string, instanceId: string): void {
    const text = Array.isArray(token) ? undefined : token;
    const match = text !== undefined ? TOKEN.exec(text) : null;
    if (!match) throw new OrchestraError("IMDS_TOKEN_INVALID", "the metadata token is missing or malformed");
    const expires = Number(match[1]);
    const given = Buffer.from(match[2]!, "base64url");
    const expected = Buffer.from(this.#mac(expires, address, instanceId), "base64url");
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new OrchestraError("IMDS_TOKEN_INVALID", "the metadata token was not issued to this node");
    }
    if (expires * 1000 <= this.#now()) throw new OrchestraError("IMDS_TOKEN_INVALID", "the metadata token has expired");
  }

  #mac(expires: number, address: string, instanceId: string): string {
    return createHmac("sha256", this.#key).update(`imds-v1\0${expires}\0${address}\0${instanceId}`).digest("base64url");
  }
}
