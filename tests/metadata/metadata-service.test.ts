import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KEY_A, KEY_B, startMetadataFixture, USER_DATA_A, type MetadataFixture } from "./fixtures.ts";
import { accountNumber } from "../../lib/inventory/account-number.ts";

const A = "127.0.0.2";
const B = "127.0.0.3";
const STRANGER = "127.0.0.9";

describe("the EC2 metadata service over real HTTP", () => {
  let md: MetadataFixture;
  beforeAll(async () => {
    md = await startMetadataFixture();
  });
  afterAll(async () => {
    await md?.close();
  });

  const get = async (from: string, path: string, headers: Record<string, string> = {}) => {
    const response = await md.fetch(from, path, { headers });
    return { status: response.status, text: response.body.toString("utf8"), body: response.body, headers: response.headers };
  };

  it("lists meta-data and serves each leaf to the node it belongs to", async () => {
    const listing = await get(A, "/latest/meta-data/");
    expect(listing.status).toBe(200);
    expect(listing.text.split("\n").sort()).toEqual(["ami-id", "hostname", "instance-id", "instance-type", "local-hostname", "local-ipv4", "mac", "placement/", "public-keys/"]);
    const leaves: Record<string, string> = {
      "instance-id": md.a.instanceId,
      "ami-id": "ami-0123456789abcdef0",
      "instance-type": "m5.large",
      "local-hostname": "node-a",
      hostname: "node-a",
      "local-ipv4": "127.0.0.2",
      mac: "52:54:00:aa:00:01",
      "placement/availability-zone": "rack-1",
      "public-keys/": "0=alice",
      "public-keys/0/": "openssh-key",
      "public-keys/0/openssh-key": KEY_A,
    };
    for (const [path, value] of Object.entries(leaves)) expect(await get(A, `/latest/meta-data/${path}`), path).toMatchObject({ status: 200, text: value });
  });

  it("leaves out what an instance does not have", async () => {
    const listing = await get(B, "/latest/meta-data/");
    expect(listing.text.split("\n")).not.toContain("ami-id");
    expect((await get(B, "/latest/meta-data/ami-id")).status).toBe(404);
    expect((await get(B, "/latest/user-data")).status).toBe(404);
    expect((await get(B, "/latest/meta-data/public-keys/0/openssh-key")).text).toBe(KEY_B);
  });

  it("serves user-data byte for byte", async () => {
    const response = await get(A, "/latest/user-data");
    expect(response.status).toBe(200);
    expect(response.headers["content-type"]).toBe("application/octet-stream");
    expect(response.body.equals(USER_DATA_A)).toBe(true);
  });

  it("serves the instance identity document as JSON", async () => {
    expect((await get(A, "/latest/dynamic/instance-identity/")).text).toBe("document");
    const document = JSON.parse((await get(A, "/latest/dynamic/instance-identity/document")).text);
    expect(document).toMatchObject({ instanceId: md.a.instanceId, accountId: accountNumber("acct-a"), imageId: "ami-0123456789abcdef0", instanceType: "m5.large", availabilityZone: "rack-1", region: "orchestra-1", privateIp: "127.0.0.2", architecture: "x86_64" });
  });

  it("serves the same tree under the versions cloud-init probes", async () => {
    for (const version of ["2009-04-04", "2021-03-23"]) expect((await get(A, `/${version}/meta-data/instance-id`)).text).toBe(md.a.instanceId);
    expect((await get(A, "/2010-01-01/meta-data/instance-id")).status).toBe(404);
  });

  it("shows each node only its own data, and a stranger nothing", async () => {
    expect((await get(B, "/latest/meta-data/instance-id")).text).toBe(md.b.instanceId);
    expect((await get(B, "/latest/meta-data/local-ipv4")).text).toBe("127.0.0.3");
    for (const path of ["/latest/meta-data/", "/latest/meta-data/instance-id", "/latest/user-data", "/latest/dynamic/instance-identity/document"]) {
      expect((await get(STRANGER, path)).status, path).toBe(404);
    }
    // A header naming another node changes nothing: identity is the TCP source address.
    const forged = await get(STRANGER, "/latest/meta-data/instance-id", { "x-forwarded-for": A, "x-real-ip": A });
    expect(forged.status).toBe(404);
  });

  it("issues IMDSv2 tokens that work for their own node only", async () => {
    const put = await md.fetch(A, "/latest/api/token", { method: "PUT", headers: { "x-aws-ec2-metadata-token-ttl-seconds": "60" } });
    expect(put.status).toBe(200);
    expect(put.headers["x-aws-ec2-metadata-token-ttl-seconds"]).toBe("60");
    const token = put.body.toString("utf8");
    expect((await get(A, "/latest/meta-data/instance-id", { "x-aws-ec2-metadata-token": token })).text).toBe(md.a.instanceId);
    // Node A's token presented by node B, or by a stranger: refused.
    expect((await get(B, "/latest/meta-data/instance-id", { "x-aws-ec2-metadata-token": token })).status).toBe(401);
    expect((await get(STRANGER, "/latest/meta-data/instance-id", { "x-aws-ec2-metadata-token": token })).status).toBe(404);
  });

  it("refuses token requests with a bad TTL or through a proxy", async () => {
    for (const ttl of [undefined, "", "0", "21601", "-5", "1e3", "6.5", "abc"]) {
      const headers: Record<string, string> = ttl === undefined ? {} : { "x-aws-ec2-metadata-token-ttl-seconds": ttl };
      expect((await md.fetch(A, "/latest/api/token", { method: "PUT", headers })).status, String(ttl)).toBe(400);
    }
    expect((await md.fetch(A, "/latest/api/token", { method: "PUT", headers: { "x-aws-ec2-metadata-token-ttl-seconds": "21600" } })).status).toBe(200);
    const proxied = await md.fetch(A, "/latest/api/token", { method: "PUT", headers: { "x-aws-ec2-metadata-token-ttl-seconds": "60", "x-forwarded-for": "192.0.2.1" } });
    expect(proxied.status).toBe(403);
  });

  it("refuses bad and tampered tokens even when tokens are optional", async () => {
    const token = (await md.fetch(A, "/latest/api/token", { method: "PUT", headers: { "x-aws-ec2-metadata-token-ttl-seconds": "60" } })).body.toString("utf8");
    const [v, expires, mac] = token.split(".");
    const tampered = [`${v}.${Number(expires) + 3600}.${mac}`, `${v}.${expires}.${mac!.slice(0, -1)}${mac!.endsWith("A") ? "B" : "A"}`, "", "v1..", "x".repeat(4000), `${token}\u00e9`.replace(/[^\x20-\x7e]/g, "_")];
    for (const bad of tampered) expect((await get(A, "/latest/meta-data/instance-id", { "x-aws-ec2-metadata-token": bad })).status, bad.slice(0, 40)).toBe(401);
  });

  it("serves NoCloud at the secret URL, to its own node only", async () => {
    const secret = md.a.nocloudSecret!;
    const meta = await get(A, `/nocloud/${secret}/meta-data`);
    expect(meta.status).toBe(200);
    expect(meta.text).toContain(`instance-id: ${md.a.instanceId}`);
    expect(meta.text).toContain("local-hostname: node-a");
    expect((await get(A, `/nocloud/${secret}/user-data`)).body.equals(USER_DATA_A)).toBe(true);
    expect((await get(A, `/nocloud/${secret}/vendor-data`)).text).toContain("proxy: http://127.0.0.1:8000");
    expect((await get(B, `/nocloud/${secret}/meta-data`)).status).toBe(404);
    expect((await get(A, `/nocloud/${md.b.nocloudSecret}/meta-data`)).status).toBe(404);
    expect((await get(A, `/nocloud/${secret.slice(0, -1)}x/meta-data`)).status).toBe(404);
    expect((await get(A, `/nocloud/${secret}/network-config`)).status).toBe(404);
    // The longest secret the store accepts still fits fastify's path parameter limit.
    const longest = "L".repeat(96);
    await md.source.put({ ...md.a, nocloudSecret: longest });
    expect((await get(A, `/nocloud/${longest}/meta-data`)).status).toBe(200);
    await md.source.put({ ...md.a });
  });

  it("stops serving an instance once it has ended", async () => {
    // Releasing B's machine ends B's instance.
    await md.inventory.release(md.b.machineId!);
    expect((await get(B, "/latest/meta-data/instance-id")).status).toBe(404);
    expect((await get(B, `/nocloud/${md.b.nocloudSecret}/meta-data`)).status).toBe(404);
    expect((await get(A, "/latest/meta-data/instance-id")).status).toBe(200);
  });
});

describe("the metadata service with IMDSv2 required", () => {
  let md: MetadataFixture;
  beforeAll(async () => {
    md = await startMetadataFixture({ requireToken: true });
  });
  afterAll(async () => {
    await md?.close();
  });

  it("refuses requests without a token and answers those with one", async () => {
    expect((await md.fetch(A, "/latest/meta-data/instance-id")).status).toBe(401);
    const token = (await md.fetch(A, "/latest/api/token", { method: "PUT", headers: { "x-aws-ec2-metadata-token-ttl-seconds": "30" } })).body.toString("utf8");
    const answer = await md.fetch(A, "/latest/meta-data/instance-id", { headers: { "x-aws-ec2-metadata-token": token } });
    expect([answer.status, answer.body.toString("utf8")]).toEqual([200, md.a.instanceId]);
  });
});
