/**
 * @module ec2/auth/sigv4
 * Server-side AWS Signature Version 4 verification (service `ec2`), for both the
 * `Authorization` header and presigned query strings. The signature is recomputed from the
 * secret and compared in constant time; the request's date must be within 15 minutes of the
 * server's clock, as AWS's `RequestExpired` rule says.
 */
import { createHmac, createSecretKey, hash, timingSafeEqual, type KeyObject } from "node:crypto";
import { OrchestraError } from "../../errors.ts";
import type { FormPair } from "../query/parse-form.ts";

/** The parts of an HTTP request that SigV4 covers. */
export interface SignedRequest {
  readonly method: string;
  /** The path as sent, without the query string. */
  readonly path: string;
  /** The decoded query-string pairs, in the order sent. */
  readonly query: readonly FormPair[];
  /** Lower-case header names, as Node gives them. */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Uint8Array;
}

/** What a verified signature proves. */
export interface VerifiedCaller {
  readonly accessKeyId: string;
  readonly account: string;
  /** The account's 12-digit number (EC2's ownerId), as the key's lookup read it. */
  readonly accountId: string;
  /** True when the signature came in the query string (a presigned URL). */
  readonly presigned: boolean;
  /** The service the credential scope names (one of VerifyOptions.services). */
  readonly service: string;
}

/** Finds the secret and account (name and number) of an access key, or undefined when it is unknown or revoked. */
export type SecretLookup = (accessKeyId: string) => Promise<{ secretAccessKey: string; account: string; accountId: string } | undefined>;

/** Options for verification. */
export interface VerifyOptions {
  /** The only region a credential scope may name. */
  readonly region: string;
  /** The services a credential scope may name (default: `ec2` only). */
  readonly services?: readonly string[];
  /** The server's clock; injectable so tests can move it. */
  readonly now?: () => Date;
}

/** The allowed distance between a request's date and the server's clock. */
export const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;
/** The longest lifetime of a presigned URL, as on AWS (seven days). */
export const MAX_PRESIGN_SECONDS = 604_800;

const ALGORITHM = "AWS4-HMAC-SHA256";
const DEFAULT_SERVICES: readonly string[] = ["ec2"];
/** The query parameters that carry a presigned signature and are not action parameters. */
export const PRESIGN_PARAMETERS = new Set([
  "X-Amz-Algorithm",
  "X-Amz-Credential",
  "X-Amz-Date",
  "X-Amz-Expires",
  "X-Amz-SignedHeaders",
  "X-Amz-Signature",
  "X-Amz-Security-Token",
]);

interface SignatureParts {
  accessKeyId: string;
  scopeDate: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
  amzDate: string;
  expiresSeconds?: number;
  presigned: boolean;
}

/** Verify the request's SigV4 signature; resolves to the caller, or throws an EC2_* auth error. */
export async function verifySigV4(request: SignedRequest, lookup: SecretLookup, options: VerifyOptions): Promise<VerifiedCaller> {
  const parts = extractSignature(request);
  const now = (options.now ?? (() => new Date()))();
  checkScope(parts, options.region, options.services ?? DEFAULT_SERVICES);
  checkDate(parts, now);
  const found = await lookup(parts.accessKeyId);
  if (!found) throw new OrchestraError("EC2_AUTH_FAILURE", "AWS was not able to validate the provided access credentials.");
  const bodyHash = sha256Hex(request.body);
  const declaredHash = header(request, "x-amz-content-sha256");
  if (declaredHash !== undefined && declaredHash !== bodyHash && !(parts.presigned && declaredHash === "UNSIGNED-PAYLOAD")) {
    throw mismatch();
  }
  const canonical = canonicalRequest(request, parts, declaredHash ?? bodyHash);
  const scope = `${parts.scopeDate}/${parts.region}/${parts.service}/aws4_request`;
  const stringToSign = `${ALGORITHM}\n${parts.amzDate}\n${scope}\n${sha256Hex(canonical)}`;
  const expected = signingKeyHmac(found.secretAccessKey, parts.scopeDate, parts.region, parts.service, stringToSign);
  const given = Buffer.from(parts.signature, "hex");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw mismatch();
  return { accessKeyId: parts.accessKeyId, account: found.account, accountId: found.accountId, presigned: parts.presigned, service: parts.service };
}

/**
 * The service a request's credential scope names, read without verifying anything, so a
 * failure can be answered in that service's error format; undefined when there is none.
 */
export function scopedService(request: SignedRequest): string | undefined {
  try {
    return extractSignature(request).service;
  } catch {
    return undefined;
  }
}

function extractSignature(request: SignedRequest): SignatureParts {
  const authorization = header(request, "authorization");
  const presigned = request.query.some((p) => p.name === "X-Amz-Algorithm" || p.name === "X-Amz-Signature");
  if (authorization !== undefined && presigned) {
    throw incomplete("Only one authentication mechanism is allowed: the Authorization header or X-Amz-* query parameters.");
  }
  if (authorization !== undefined) return fromHeader(authorization, request);
  if (presigned) return fromQuery(request);
  throw new OrchestraError("EC2_MISSING_AUTHENTICATION", "Request is missing Authentication Token: sign it with Signature Version 4.");
}

function fromHeader(authorization: string, request: SignedRequest): SignatureParts {
  const space = authorization.indexOf(" ");
  const algorithm = space === -1 ? authorization : authorization.slice(0, space);
  if (algorithm !== ALGORITHM) throw incomplete(`Unsupported authorization type; only ${ALGORITHM} is accepted.`);
  const fields = new Map<string, string>();
  for (const item of authorization.slice(space + 1).split(",")) {
    const eq = item.indexOf("=");
    if (eq === -1) throw incomplete("Authorization header entries must be key=value.");
    const key = item.slice(0, eq).trim();
    if (fields.has(key)) throw incomplete(`Authorization header repeats ${key}.`);
    fields.set(key, item.slice(eq + 1).trim());
  }
  const credential = fields.get("Credential");
  const signedHeaders = fields.get("SignedHeaders");
  const signature = fields.get("Signature");
  if (!credential || !signedHeaders || !signature) {
    throw incomplete("Authorization header requires 'Credential', 'SignedHeaders' and 'Signature'.");
  }
  const amzDate = header(request, "x-amz-date");
  if (amzDate === undefined) throw incomplete("Authorization header requires an X-Amz-Date header.");
  return { ...parseCredential(credential), signedHeaders: parseSignedHeaders(signedHeaders), signature: parseSignatureHex(signature), amzDate, presigned: false };
}

function fromQuery(request: SignedRequest): SignatureParts {
  const get = (name: string): string => {
    const found = request.query.filter((p) => p.name === name);
    if (found.length !== 1) throw incomplete(`A presigned request needs exactly one ${name} query parameter.`);
    return found[0]!.value;
  };
  if (get("X-Amz-Algorithm") !== ALGORITHM) throw incomplete(`Unsupported X-Amz-Algorithm; only ${ALGORITHM} is accepted.`);
  const expires = get("X-Amz-Expires");
  if (!/^[0-9]{1,7}$/.test(expires) || Number(expires) < 1 || Number(expires) > MAX_PRESIGN_SECONDS) {
    throw incomplete(`X-Amz-Expires must be a number of seconds from 1 to ${MAX_PRESIGN_SECONDS}.`);
  }
  return {
    ...parseCredential(get("X-Amz-Credential")),
    signedHeaders: parseSignedHeaders(get("X-Amz-SignedHeaders")),
    signature: parseSignatureHex(get("X-Amz-Signature")),
    amzDate: get("X-Amz-Date"),
    expiresSeconds: Number(expires),
    presigned: true,
  };
}

function parseCredential(credential: string): Pick<SignatureParts, "accessKeyId" | "scopeDate" | "region" | "service"> {
  const parts = credential.split("/");
  if (parts.length !== 5 || parts[4] !== "aws4_request" || parts.some((p) => p === "")) {
    throw incomplete("Credential must have the form <key>/<date>/<region>/<service>/aws4_request.");
  }
  const [accessKeyId, scopeDate, region, service] = parts as [string, string, string, string];
  return { accessKeyId, scopeDate, region, service };
}

function parseSignedHeaders(value: string): string[] {
  const names = value.split(";");
  if (names.some((n) => !/^[a-z0-9!#$%&'*+.^_`|~-]+$/.test(n))) throw incomplete("SignedHeaders must be lower-case header names joined by ';'.");
  if (!names.includes("host")) throw incomplete("SignedHeaders must include host.");
  return names;
}

function parseSignatureHex(value: string): string {
  if (!/^[0-9a-f]{64}$/.test(value)) throw incomplete("Signature must be 64 lower-case hex digits.");
  return value;
}

function checkScope(parts: SignatureParts, region: string, services: readonly string[]): void {
  if (!services.includes(parts.service)) throw mismatch(`Credential should be scoped to the correct service: '${services.join("' or '")}'.`);
  if (parts.region !== region) throw mismatch(`Credential should be scoped to a valid region, '${region}'.`);
  if (!/^[0-9]{8}T[0-9]{6}Z$/.test(parts.amzDate)) throw incomplete("X-Amz-Date must have the form YYYYMMDD'T'HHMMSS'Z'.");
  if (parts.scopeDate !== parts.amzDate.slice(0, 8)) throw mismatch("Credential should be scoped to the date of X-Amz-Date.");
}

function checkDate(parts: SignatureParts, now: Date): void {
  const d = parts.amzDate;
  const signedAt = Date.UTC(+d.slice(0, 4), +d.slice(4, 6) - 1, +d.slice(6, 8), +d.slice(9, 11), +d.slice(11, 13), +d.slice(13, 15));
  if (Number.isNaN(signedAt)) throw incomplete("X-Amz-Date is not a valid date.");
  const skew = now.getTime() - signedAt;
  if (skew < -MAX_CLOCK_SKEW_MS) throw expired(d, now);
  if (parts.expiresSeconds === undefined ? skew > MAX_CLOCK_SKEW_MS : skew > parts.expiresSeconds * 1000) throw expired(d, now);
}

function canonicalRequest(request: SignedRequest, parts: SignatureParts, payloadHash: string): string {
  const query = request.query
    .filter((p) => !(parts.presigned && p.name === "X-Amz-Signature"))
    .map((p) => [uriEncode(p.name), uriEncode(p.value)] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join("&");
  const headers = parts.signedHeaders
    .map((name) => {
      const value = request.headers[name];
      if (value === undefined) throw mismatch(`The signed header ${name} is not in the request.`);
      const joined = Array.isArray(value) ? value.map(trimHeader).join(",") : trimHeader(value);
      return `${name}:${joined}\n`;
    })
    .join("");
  return [request.method, canonicalPath(request.path), query, headers, parts.signedHeaders.join(";"), payloadHash].join("\n");
}

function canonicalPath(path: string): string {
  if (path === "" || path === "/") return "/";
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    throw mismatch("The request path is not valid percent-encoding.");
  }
  return decoded.split("/").map(uriEncode).join("/");
}

function trimHeader(value: string): string {
  return value.trim().replace(/\s+/g, " ");
}

/** RFC 3986 encoding as SigV4 requires: everything but A-Z a-z 0-9 - _ . ~ is escaped. */
export function uriEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * Signing keys already derived, by secret and scope. A key is valid for its scope's day, and
 * deriving it is four HMACs, most of a small request's signature check; clients sign every
 * request of a day with the same one.
 */
const signingKeys = new Map<string, KeyObject>();
const SIGNING_KEYS_KEPT = 1024;

function signingKeyHmac(secret: string, date: string, region: string, service: string, stringToSign: string): Buffer {
  const memo = `${secret}\n${date}\n${region}\n${service}`;
  let kSigning = signingKeys.get(memo);
  if (!kSigning) {
    const kDate = createHmac("sha256", `AWS4${secret}`).update(date).digest();
    const kRegion = createHmac("sha256", kDate).update(region).digest();
    const kService = createHmac("sha256", kRegion).update(service).digest();
    // Kept as a KeyObject: given raw bytes, createHmac makes one each call, and Node's check
    // of what it was given cost more than the HMAC itself (about 11 µs of 13 per request).
    kSigning = createSecretKey(createHmac("sha256", kService).update("aws4_request").digest());
    if (signingKeys.size >= SIGNING_KEYS_KEPT) signingKeys.clear();
    signingKeys.set(memo, kSigning);
  }
  return createHmac("sha256", kSigning).update(stringToSign).digest();
}

function sha256Hex(data: Uint8Array | string): string {
  return hash("sha256", data, "hex");
}

function header(request: SignedRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value.join(",") : value;
}

function incomplete(message: string): OrchestraError {
  return new OrchestraError("EC2_INCOMPLETE_SIGNATURE", message);
}

function mismatch(message = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method."): OrchestraError {
  return new OrchestraError("EC2_SIGNATURE_MISMATCH", message);
}

function expired(amzDate: string, now: Date): OrchestraError {
  return new OrchestraError("EC2_REQUEST_EXPIRED", `Request has expired: signed at ${amzDate}, server time is ${now.toISOString()}.`);
}
