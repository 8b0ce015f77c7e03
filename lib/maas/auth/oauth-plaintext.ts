/**
 * @module maas/auth/oauth-plaintext
 * MAAS's request authentication: OAuth 1.0a with the PLAINTEXT method, the one gomaasapi,
 * python-libmaas and the `maas` CLI use. The signature is `consumer_secret&token_secret`
 * with an empty consumer secret, so it is the key's secret itself: like MAAS, this is only
 * as safe as the transport (put TLS in front of it off the provisioning network).
 */
import { timingSafeEqual } from "node:crypto";
import { OrchestraError } from "../../errors.ts";
import type { MaasKeyLookup } from "../credentials/maas-key-store.ts";

/** How far a request's oauth_timestamp may be from the server's clock (python-oauth's window, which MAAS uses). */
export const TIMESTAMP_WINDOW_SECONDS = 300;

/** The verified caller. */
export interface MaasCaller {
  readonly account: string;
  readonly tokenKey: string;
}

const PARAMETER = /\s*([A-Za-z_]+)\s*=\s*"([^"]*)"\s*(?:,|$)/y;

/** The parameters of an `Authorization: OAuth ...` header, or undefined when it is not one. */
export function parseOAuthHeader(header: string | undefined): Map<string, string> | undefined {
  if (header === undefined) return undefined;
  const match = /^OAuth\s+/i.exec(header);
  if (!match) return undefined;
  const params = new Map<string, string>();
  PARAMETER.lastIndex = match[0].length;
  while (PARAMETER.lastIndex < header.length) {
    const found = PARAMETER.exec(header);
    if (!found) throw unauthorized("Invalid OAuth header.");
    let value: string;
    try {
      value = decodeURIComponent(found[2]!.replaceAll("+", " "));
    } catch {
      throw unauthorized(`Invalid OAuth parameter ${found[1]}.`);
    }
    if (params.has(found[1]!)) throw unauthorized(`Duplicate OAuth parameter ${found[1]}.`);
    params.set(found[1]!, value);
  }
  return params;
}

/** Check a request's OAuth header against the live keys; any fault is MAAS's 401. */
export async function verifyOAuthPlaintext(header: string | undefined, lookup: MaasKeyLookup, now: Date = new Date()): Promise<MaasCaller> {
  const params = parseOAuthHeader(header);
  if (!params) throw unauthorized("Authorization Error: Missing OAuth authorization header.");
  const method = params.get("oauth_signature_method");
  if (method !== "PLAINTEXT") throw unauthorized(`Authorization Error: Unsupported signature method ${JSON.stringify(method ?? "")}; use PLAINTEXT.`);
  const tokenKey = params.get("oauth_token");
  const consumerKey = params.get("oauth_consumer_key");
  const signature = params.get("oauth_signature");
  if (!tokenKey || !consumerKey || signature === undefined) throw unauthorized("Authorization Error: Missing OAuth parameters.");
  const timestamp = Number(params.get("oauth_timestamp"));
  if (!Number.isInteger(timestamp) || Math.abs(now.getTime() / 1000 - timestamp) > TIMESTAMP_WINDOW_SECONDS) {
    throw unauthorized("Authorization Error: Expired timestamp: given, not within the allowed window of the server's time.");
  }
  const key = tokenKey.length <= 64 ? await lookup(tokenKey) : undefined;
  if (!key) throw unauthorized(`Authorization Error: Invalid access token: ${tokenKey.slice(0, 64)}`);
  if (key.consumerKey !== consumerKey) throw unauthorized(`Authorization Error: Invalid consumer: ${consumerKey.slice(0, 64)}`);
  const expected = Buffer.from(`&${key.tokenSecret}`);
  const given = Buffer.from(signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw unauthorized("Authorization Error: Invalid signature.");
  return { account: key.account, tokenKey };
}

function unauthorized(message: string): OrchestraError {
  return new OrchestraError("MAAS_UNAUTHORIZED", message.startsWith("Authorization Error") ? message : `Authorization Error: ${message}`);
}
