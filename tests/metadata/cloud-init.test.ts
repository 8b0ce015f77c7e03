import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KEY_A, startMetadataFixture, USER_DATA_A, type MetadataFixture } from "./fixtures.ts";

/**
 * cloud-init's own EC2 and NoCloud readers (Debian's cloud-init package), run against the
 * service. Python connects from 127.0.0.1, so node A is moved there first.
 */
const READER = `
import base64, json, sys
from cloudinit import url_helper, util
from cloudinit.sources.helpers import ec2
base, nocloud, use_token = sys.argv[1], sys.argv[2], sys.argv[3] == "token"
headers_cb = None
if use_token:
    token = url_helper.readurl(base + "/latest/api/token", request_method="PUT",
        headers={"X-aws-ec2-metadata-token-ttl-seconds": "21600"}, timeout=5).contents.decode()
    headers_cb = lambda url: {"X-aws-ec2-metadata-token": token}
md = ec2.get_instance_metadata(metadata_address=base, retries=0, timeout=5, headers_cb=headers_cb)
ud = ec2.get_instance_userdata(metadata_address=base, retries=0, timeout=5, headers_cb=headers_cb)
identity = ec2.get_instance_identity(metadata_address=base, retries=0, timeout=5, headers_cb=headers_cb)
seed_md, seed_ud, seed_vd = util.read_seeded(base=nocloud, retries=0, timeout=5)
def b64(value):
    if isinstance(value, str):
        value = value.encode()
    return base64.b64encode(value or b"").decode()
print(json.dumps({"md": md, "ud": b64(ud), "identity": identity,
    "seed_md": seed_md, "seed_ud": b64(seed_ud), "seed_vd": b64(seed_vd)}))
`;

interface ReaderResult {
  md: Record<string, unknown>;
  ud: string;
  identity: Record<string, unknown>;
  seed_md: Record<string, unknown>;
  seed_ud: string;
  seed_vd: string;
}

async function readWithCloudInit(md: MetadataFixture, useToken: boolean): Promise<ReaderResult> {
  const nocloud = `${md.base}/nocloud/${md.a.nocloudSecret}/`;
  // No proxy may stand between cloud-init and the service: identity is the source address.
  const result = await execa("/usr/bin/python3", ["-c", READER, md.base, nocloud, useToken ? "token" : "no-token"], { env: { no_proxy: "*", NO_PROXY: "*" }, timeout: 60_000 });
  return JSON.parse(String(result.stdout).trim().split("\n").at(-1)!) as ReaderResult;
}

async function fixtureWithNodeAOnLocalhost(requireToken: boolean): Promise<MetadataFixture> {
  const md = await startMetadataFixture({ requireToken });
  const a = await md.source.put({ ...md.a, localIpv4: "127.0.0.1" });
  return { ...md, a };
}

describe("cloud-init's EC2 and NoCloud code reading the metadata service", () => {
  let md: MetadataFixture;
  beforeAll(async () => {
    md = await fixtureWithNodeAOnLocalhost(false);
  });
  afterAll(async () => {
    await md?.close();
  });

  it("gets the instance's metadata, user-data bytes, identity and NoCloud seed (IMDSv1)", async () => {
    const read = await readWithCloudInit(md, false);
    expect(read.md).toMatchObject({
      "instance-id": md.a.instanceId,
      "local-hostname": "node-a",
      hostname: "node-a",
      "local-ipv4": "127.0.0.1",
      "ami-id": "ami-0123456789abcdef0",
      "instance-type": "m5.large",
      mac: "52:54:00:aa:00:01",
      placement: { "availability-zone": "rack-1", region: "orchestra-1" },
      "public-keys": { alice: KEY_A },
    });
    expect(Buffer.from(read.ud, "base64").equals(USER_DATA_A)).toBe(true);
    expect((read.identity.document as Record<string, unknown>).instanceId).toBe(md.a.instanceId);
    expect(read.seed_md).toEqual({ "instance-id": md.a.instanceId, "local-hostname": "node-a", "public-keys": [KEY_A] });
    expect(Buffer.from(read.seed_ud, "base64").equals(USER_DATA_A)).toBe(true);
    expect(Buffer.from(read.seed_vd, "base64").toString()).toContain("proxy: http://127.0.0.1:8000");
  });
});

describe("cloud-init against the service with IMDSv2 required", () => {
  let md: MetadataFixture;
  beforeAll(async () => {
    md = await fixtureWithNodeAOnLocalhost(true);
  });
  afterAll(async () => {
    await md?.close();
  });

  it("reads nothing without a token and everything with one", async () => {
    const without = await readWithCloudInit(md, false);
    expect(without.md).toEqual({});
    const read = await readWithCloudInit(md, true);
    expect(read.md["instance-id"]).toBe(md.a.instanceId);
    expect(Buffer.from(read.ud, "base64").equals(USER_DATA_A)).toBe(true);
  });
});
