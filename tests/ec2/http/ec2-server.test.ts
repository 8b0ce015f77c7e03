import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DescribeAvailabilityZonesCommand, DescribeRegionsCommand, EC2Client, EC2ServiceException } from "@aws-sdk/client-ec2";
import { XMLParser } from "fast-xml-parser";
import { formEncode, signHeaders } from "../helpers/smithy-signer.ts";
import { startEc2Harness, type Ec2Harness } from "../helpers/ec2-harness.ts";

let harness: Ec2Harness;
let client: EC2Client;
let key: { accessKeyId: string; secretAccessKey: string };

beforeAll(async () => {
  harness = await startEc2Harness({ bodyLimit: 4096 });
  const c = await harness.client("acme");
  client = c;
  key = c.credential;
  await harness.addMachines(1, { zone: "zone-b" });
});
afterAll(() => harness.close());

async function raw(body: string, headers: Record<string, string> = {}): Promise<{ status: number; code?: string; requestId?: string }> {
  const response = await fetch(harness.endpoint, { method: "POST", body, headers });
  const xml = new XMLParser().parse(await response.text());
  return { status: response.status, code: xml.Response?.Errors?.Error?.Code, requestId: xml.Response?.RequestID };
}

async function signedRaw(body: string, contentType?: string) {
  return raw(body, await signHeaders({ host: harness.host, body, ...key, region: harness.region, contentType }));
}

describe("the EC2 endpoint", () => {
  it("answers the AWS SDK with regions and zones", async () => {
    const regions = await client.send(new DescribeRegionsCommand({}));
    expect(regions.Regions?.map((r) => r.RegionName)).toEqual(["orchestra"]);
    const zones = await client.send(new DescribeAvailabilityZonesCommand({ Filters: [{ Name: "region-name", Values: ["orchestra"] }] }));
    expect(zones.AvailabilityZones?.map((z) => [z.ZoneName, z.State])).toEqual([
      ["default", "available"],
      ["zone-b", "available"],
    ]);
  });

  it("answers a wrong secret with SignatureDoesNotMatch through the SDK", async () => {
    const bad = new EC2Client({ endpoint: harness.endpoint, region: harness.region, credentials: { ...key, secretAccessKey: "nope" }, maxAttempts: 1 });
    const error = await bad.send(new DescribeRegionsCommand({})).catch((e: unknown) => e);
    bad.destroy();
    expect(error).toBeInstanceOf(EC2ServiceException);
    expect((error as EC2ServiceException).name).toBe("SignatureDoesNotMatch");
    expect((error as EC2ServiceException).$metadata.httpStatusCode).toBe(403);
  });

  it("answers an unknown filter as InvalidParameterValue", async () => {
    const error = await client.send(new DescribeRegionsCommand({ Filters: [{ Name: "bogus", Values: ["x"] }] })).catch((e: unknown) => e);
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
    const response = await fetch(`${harness.endpoint}/admin`, { method: "DELETE" });
    expect(response.status).toBe(400);
    expect(await response.text()).toContain("<Code>InvalidAction</Code>");
  });

  it("answers requests node's HTTP parser refuses with AWS error XML, not JSON", async () => {
    const { hostname, port } = new URL(harness.endpoint);
    const send = (request: string) =>
      new Promise<string>((resolve, reject) => {
        let answer = "";
        const socket = connect({ host: hostname, port: Number(port) }, () => socket.write(request));
        socket.on("data", (chunk: Buffer) => (answer += chunk.toString()));
        socket.once("close", () => resolve(answer));
        socket.once("error", reject);
      });
    const garbage = await send("NOT AN HTTP REQUEST\r\n\r\n");
    expect(garbage).toMatch(/^HTTP\/1\.1 400 /);
    expect(garbage).toMatch(/content-type: text\/xml/i);
    expect(new XMLParser().parse(garbage.slice(garbage.indexOf("\r\n\r\n") + 4)).Response?.Errors?.Error?.Code).toBe("MalformedQueryString");
    const huge = await send(`POST / HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`);
    expect(huge).toMatch(/^HTTP\/1\.1 431 /);
    expect(huge).toContain("<Code>RequestHeaderSectionTooLarge</Code>");
  });

  it("answers a malformed query string with MalformedQueryString", async () => {
    const response = await fetch(`${harness.endpoint}/?Action=%ZZ`);
    expect(response.status).toBe(400);
    expect(await response.text()).toContain("<Code>MalformedQueryString</Code>");
  });

  it("accepts GET with the parameters in a signed query string", async () => {
    const query = { Action: "DescribeAvailabilityZones", Version: "2016-11-15", "ZoneName.1": "zone-b" };
    const headers = await signHeaders({ host: harness.host, method: "GET", query, ...key, region: harness.region });
    const response = await fetch(`${harness.endpoint}/?${formEncode(query)}`, { headers });
    const xml = new XMLParser().parse(await response.text());
    expect(response.status).toBe(200);
    expect(xml.DescribeAvailabilityZonesResponse.availabilityZoneInfo.item.zoneName).toBe("zone-b");
  });

  it("answers a revoked key with AuthFailure", async () => {
    const other = await harness.client("acme");
    await harness.services.credentials.revoke(other.credential.accessKeyId);
    const error = await other.send(new DescribeRegionsCommand({})).catch((e: unknown) => e);
    expect((error as EC2ServiceException).name).toBe("AuthFailure");
  });
});
