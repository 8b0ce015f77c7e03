import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DescribeAvailabilityZonesCommand, DescribeRegionsCommand, EC2Client, EC2ServiceException } from "@aws-sdk/client-ec2";
import { XMLParser } from "fast-xml-parser";
import { createEc2Server } from "../../../lib/ec2/http/ec2-server.ts";
import type { SecretLookup } from "../../../lib/ec2/auth/sigv4.ts";
import { formEncode, signHeaders } from "../helpers/smithy-signer.ts";

const KEY = { accessKeyId: "AKIAORCHESTRATEST01", secretAccessKey: "secret-one" };
const lookup: SecretLookup = async (id) => (id === KEY.accessKeyId ? { secretAccessKey: KEY.secretAccessKey, account: "acme" } : undefined);
const app = createEc2Server({ services: { topology: { region: "orchestra", zones: ["orchestra-a", "orchestra-b"] } }, lookupSecret: lookup, bodyLimit: 4096 });
let endpoint = "";
let host = "";

beforeAll(async () => {
  endpoint = await app.listen({ host: "127.0.0.1", port: 0 });
  host = new URL(endpoint).host;
});
afterAll(() => app.close());

function client(credentials = KEY): EC2Client {
  return new EC2Client({ endpoint, region: "orchestra", credentials, maxAttempts: 1 });
}

async function raw(body: string, headers: Record<string, string> = {}): Promise<{ status: number; code?: string; requestId?: string }> {
  const response = await fetch(endpoint, { method: "POST", body, headers });
  const xml = new XMLParser().parse(await response.text());
  return { status: response.status, code: xml.Response?.Errors?.Error?.Code, requestId: xml.Response?.RequestID };
}

async function signedRaw(body: string, contentType?: string) {
  return raw(body, await signHeaders({ host, body, ...KEY, region: "orchestra", contentType }));
}

describe("the EC2 endpoint", () => {
  it("answers the AWS SDK with regions and zones", async () => {
    const regions = await client().send(new DescribeRegionsCommand({}));
    expect(regions.Regions?.map((r) => r.RegionName)).toEqual(["orchestra"]);
    const zones = await client().send(new DescribeAvailabilityZonesCommand({ Filters: [{ Name: "region-name", Values: ["orchestra"] }] }));
    expect(zones.AvailabilityZones?.map((z) => [z.ZoneName, z.State])).toEqual([
      ["orchestra-a", "available"],
      ["orchestra-b", "available"],
    ]);
  });

  it("answers a wrong secret with SignatureDoesNotMatch through the SDK", async () => {
    const error = await client({ ...KEY, secretAccessKey: "nope" }).send(new DescribeRegionsCommand({})).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EC2ServiceException);
    expect((error as EC2ServiceException).name).toBe("SignatureDoesNotMatch");
    expect((error as EC2ServiceException).$metadata.httpStatusCode).toBe(403);
  });

  it("answers an unknown filter as InvalidParameterValue", async () => {
    const error = await client().send(new DescribeRegionsCommand({ Filters: [{ Name: "bogus", Values: ["x"] }] })).catch((e: unknown) => e);
    expect((error as EC2ServiceException).name).toBe("InvalidParameterValue");
  });

  it.each([
    ["an unknown action", { Action: "LaunchMissiles", Version: "2016-11-15" }, 400, "InvalidAction"],
    ["no action", { Version: "2016-11-15" }, 400, "MissingAction"],
    ["no version", { Action: "DescribeRegions" }, 400, "NoSuchVersion"],
    ["an old version", { Action: "DescribeRegions", Version: "2012-08-15" }, 400, "NoSuchVersion"],
    ["an unsupported parameter", { Action: "DescribeRegions", Version: "2016-11-15", Foo: "1" }, 400, "UnknownParameter"],
    ["a wrong type", { Action: "DescribeRegions", Version: "2016-11-15", AllRegions: "maybe" }, 400, "InvalidParameterValue"],
    ["DryRun", { Action: "DescribeRegions", Version: "2016-11-15", DryRun: "true" }, 412, "DryRunOperation"],
  ])("answers %s with its EC2 error", async (_why, params, status, code) => {
    const answer = await signedRaw(formEncode(params));
    expect(answer).toMatchObject({ status, code });
    expect(answer.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("answers a duplicated Action with InvalidParameter", async () => {
    expect(await signedRaw("Action=DescribeRegions&Action=DescribeRegions&Version=2016-11-15")).toMatchObject({ status: 400, code: "InvalidParameter" });
  });

  it("answers a body over the limit with 413 RequestEntityTooLarge", async () => {
    expect(await raw(`Action=DescribeRegions&Version=2016-11-15&Pad=${"x".repeat(5000)}`, { "content-type": "application/x-www-form-urlencoded" })).toMatchObject({
      status: 413,
      code: "RequestEntityTooLarge",
    });
  });

  it("answers a non-form body with MalformedQueryString", async () => {
    expect(await signedRaw("{}", "application/json")).toMatchObject({ status: 400, code: "MalformedQueryString" });
  });

  it("answers an unsigned request with MissingAuthenticationToken", async () => {
    expect(await raw("Action=DescribeRegions&Version=2016-11-15", { "content-type": "application/x-www-form-urlencoded" })).toMatchObject({
      status: 401,
      code: "MissingAuthenticationToken",
    });
  });

  it("answers other paths and methods with error XML", async () => {
    const response = await fetch(`${endpoint}/admin`, { method: "DELETE" });
    expect(response.status).toBe(400);
    expect(await response.text()).toContain("<Code>InvalidAction</Code>");
  });

  it("answers a malformed query string with MalformedQueryString", async () => {
    const response = await fetch(`${endpoint}/?Action=%ZZ`);
    expect(response.status).toBe(400);
    expect(await response.text()).toContain("<Code>MalformedQueryString</Code>");
  });
});
