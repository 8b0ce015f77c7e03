/**
 * @module tests/ec2/helpers/smithy-signer
 * Signs raw requests with the AWS SDK's own SigV4 implementation (@smithy/signature-v4), so
 * the verifier is checked against an independent signer rather than against itself.
 */
import { createHash, createHmac, type Hash, type Hmac } from "node:crypto";
import { SignatureV4 } from "@smithy/signature-v4";

/** A node:crypto SHA-256 in the shape smithy expects (HMAC when given a secret). */
class NodeSha256 {
  #hash: Hash | Hmac;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.#hash = secret === undefined ? createHash("sha256") : createHmac("sha256", toBytes(secret));
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.#hash.update(toBytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.#hash.digest());
  }
}

function toBytes(data: string | ArrayBuffer | ArrayBufferView): string | Uint8Array {
  if (typeof data === "string") return data;
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return new Uint8Array(data);
}

/** What to sign. */
export interface SignInput {
  readonly host: string;
  readonly body?: string;
  readonly method?: "GET" | "POST";
  readonly query?: Record<string, string>;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly region: string;
  readonly service?: string;
  readonly date?: Date;
  readonly contentType?: string;
}

function signer(input: SignInput): SignatureV4 {
  return new SignatureV4({
    credentials: { accessKeyId: input.accessKeyId, secretAccessKey: input.secretAccessKey },
    region: input.region,
    service: input.service ?? "ec2",
    sha256: NodeSha256,
    uriEscapePath: true,
  });
}

/** Headers for a signed POST (or GET) with an Authorization header. */
export async function signHeaders(input: SignInput): Promise<Record<string, string>> {
  const body = input.body ?? "";
  const request = {
    method: input.method ?? "POST",
    protocol: "http:",
    hostname: input.host.split(":")[0]!,
    port: Number(input.host.split(":")[1]),
    path: "/",
    query: input.query ?? {},
    headers: { host: input.host, "content-type": input.contentType ?? "application/x-www-form-urlencoded; charset=utf-8" } as Record<string, string>,
    body,
  };
  const signed = await signer(input).sign(request, { signingDate: input.date ?? new Date() });
  return signed.headers as Record<string, string>;
}

/** A presigned GET URL's query parameters (including X-Amz-Signature). */
export async function presignQuery(input: SignInput & { expiresIn?: number }): Promise<Record<string, string>> {
  const request = {
    method: "GET",
    protocol: "http:",
    hostname: input.host.split(":")[0]!,
    port: Number(input.host.split(":")[1]),
    path: "/",
    query: input.query ?? {},
    headers: { host: input.host },
  };
  const signed = await signer(input).presign(request, { signingDate: input.date ?? new Date(), expiresIn: input.expiresIn ?? 300 });
  return signed.query as Record<string, string>;
}

/** Form-encode parameters the way the SDKs do. */
export function formEncode(params: Record<string, string> | readonly [string, string][]): string {
  const entries = Array.isArray(params) ? params : Object.entries(params);
  return entries.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join("&");
}
