import { describe, expect, it } from "vitest";
import { verifySigV4, MAX_CLOCK_SKEW_MS, type SecretLookup, type SignedRequest } from "../../../lib/ec2/auth/sigv4.ts";
import { parseForm } from "../../../lib/ec2/query/parse-form.ts";
import { isOrchestraError } from "../../../lib/errors.ts";
import { formEncode, presignQuery, signHeaders } from "../helpers/smithy-signer.ts";

const HOST = "127.0.0.1:8773";
const KEY = { accessKeyId: "AKIAORCHESTRATEST01", secretAccessKey: "s3cr3t/with+odd=chars", region: "orchestra" };
const lookup: SecretLookup = async (id) => (id === KEY.accessKeyId ? { secretAccessKey: KEY.secretAccessKey, account: "acme", accountId: "123456789012" } : undefined);
const BODY = formEncode({ Action: "DescribeInstances", Version: "2016-11-15", "Filter.1.Name": "tag:Name", "Filter.1.Value.1": "a b*" });

async function signedPost(overrides: Partial<Parameters<typeof signHeaders>[0]> = {}): Promise<SignedRequest> {
  const headers = await signHeaders({ host: HOST, body: BODY, ...KEY, ...overrides });
  return { method: "POST", path: "/", query: [], headers: lower(headers), body: Buffer.from(overrides.body ?? BODY) };
}

function lower(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
}

async function failure(request: SignedRequest, now?: Date): Promise<string | undefined> {
  try {
    await verifySigV4(request, lookup, { region: KEY.region, now: now ? () => now : undefined });
  } catch (error) {
    if (isOrchestraError(error)) return error.code;
    throw error;
  }
  return undefined;
}

describe("verifySigV4", () => {
  it("accepts a header signature made by the AWS SDK's signer", async () => {
    const caller = await verifySigV4(await signedPost(), lookup, { region: KEY.region });
    expect(caller).toEqual({ accessKeyId: KEY.accessKeyId, account: "acme", accountId: "123456789012", presigned: false, service: "ec2" });
  });

  it("accepts another service only when the listener names it, and says which", async () => {
    const sts = await signedPost({ service: "sts" });
    expect(await failure(sts)).toBe("EC2_SIGNATURE_MISMATCH");
    expect((await verifySigV4(sts, lookup, { region: KEY.region, services: ["ec2", "sts"] })).service).toBe("sts");
    await expect(verifySigV4(await signedPost({ service: "s3" }), lookup, { region: KEY.region, services: ["ec2", "sts"] })).rejects.toMatchObject({ code: "EC2_SIGNATURE_MISMATCH" });
  });

  it("accepts a presigned GET made by the AWS SDK's signer", async () => {
    const query = await presignQuery({ host: HOST, ...KEY, query: { Action: "DescribeRegions", Version: "2016-11-15" } });
    const request: SignedRequest = { method: "GET", path: "/", query: parseForm(formEncode(query)), headers: { host: HOST }, body: Buffer.alloc(0) };
    expect((await verifySigV4(request, lookup, { region: KEY.region })).presigned).toBe(true);
  });

  it("refuses a presigned URL after it expires", async () => {
    const signedAt = new Date(Date.now() - 120_000);
    const query = await presignQuery({ host: HOST, ...KEY, date: signedAt, expiresIn: 60, query: { Action: "DescribeRegions", Version: "2016-11-15" } });
    const request: SignedRequest = { method: "GET", path: "/", query: parseForm(formEncode(query)), headers: { host: HOST }, body: Buffer.alloc(0) };
    expect(await failure(request)).toBe("EC2_REQUEST_EXPIRED");
  });

  it("refuses a presigned URL whose parameters were changed", async () => {
    const query = await presignQuery({ host: HOST, ...KEY, query: { Action: "DescribeRegions", Version: "2016-11-15" } });
    const request: SignedRequest = { method: "GET", path: "/", query: parseForm(formEncode({ ...query, Action: "TerminateInstances" })), headers: { host: HOST }, body: Buffer.alloc(0) };
    expect(await failure(request)).toBe("EC2_SIGNATURE_MISMATCH");
  });

  it("refuses a wrong secret with SignatureDoesNotMatch", async () => {
    expect(await failure(await signedPost({ secretAccessKey: "wrong" }))).toBe("EC2_SIGNATURE_MISMATCH");
  });

  it("refuses an unknown access key with AuthFailure", async () => {
    expect(await failure(await signedPost({ accessKeyId: "AKIAUNKNOWN" }))).toBe("EC2_AUTH_FAILURE");
  });

  it("refuses a tampered body", async () => {
    const request = await signedPost();
    expect(await failure({ ...request, body: Buffer.from(BODY.replace("DescribeInstances", "TerminateInstances")) })).toBe("EC2_SIGNATURE_MISMATCH");
  });

  it("refuses a tampered signed header", async () => {
    const request = await signedPost();
    expect(await failure({ ...request, headers: { ...request.headers, host: "evil:1" } })).toBe("EC2_SIGNATURE_MISMATCH");
  });

  it("refuses another service or region in the scope", async () => {
    expect(await failure(await signedPost({ service: "s3" }))).toBe("EC2_SIGNATURE_MISMATCH");
    expect(await failure(await signedPost({ region: "us-east-1" }))).toBe("EC2_SIGNATURE_MISMATCH");
  });

  it("allows 15 minutes of clock skew either way and refuses more", async () => {
    const request = await signedPost({ date: new Date("2026-01-01T12:00:00Z") });
    const at = (ms: number) => new Date(Date.parse("2026-01-01T12:00:00Z") + ms);
    expect(await failure(request, at(MAX_CLOCK_SKEW_MS - 1000))).toBeUndefined();
    expect(await failure(request, at(-MAX_CLOCK_SKEW_MS + 1000))).toBeUndefined();
    expect(await failure(request, at(MAX_CLOCK_SKEW_MS + 1000))).toBe("EC2_REQUEST_EXPIRED");
    expect(await failure(request, at(-MAX_CLOCK_SKEW_MS - 1000))).toBe("EC2_REQUEST_EXPIRED");
  });

  it("asks for a token when nothing is signed", async () => {
    expect(await failure({ method: "POST", path: "/", query: [], headers: { host: HOST }, body: Buffer.from(BODY) })).toBe("EC2_MISSING_AUTHENTICATION");
  });

  it.each([
    ["another algorithm", (a: string) => a.replace("AWS4-HMAC-SHA256", "AWS4-HMAC-SHA1")],
    ["no Signature", (a: string) => a.replace(/, Signature=[0-9a-f]+/, "")],
    ["a short signature", (a: string) => a.replace(/Signature=([0-9a-f]+)/, "Signature=abc")],
    ["a malformed credential", (a: string) => a.replace(/Credential=[^,]+/, "Credential=AKIA/x")],
    ["host not signed", (a: string) => a.replace(/SignedHeaders=[^,]+/, "SignedHeaders=x-amz-date")],
  ])("refuses an Authorization header with %s as IncompleteSignature", async (_why, mangle) => {
    const request = await signedPost();
    const headers = { ...request.headers, authorization: mangle(String(request.headers.authorization)) };
    expect(await failure({ ...request, headers })).toBe("EC2_INCOMPLETE_SIGNATURE");
  });

  it("refuses a missing X-Amz-Date", async () => {
    const request = await signedPost();
    const { "x-amz-date": _dropped, ...headers } = request.headers as Record<string, string>;
    expect(await failure({ ...request, headers })).toBe("EC2_INCOMPLETE_SIGNATURE");
  });
});
