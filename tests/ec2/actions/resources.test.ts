import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateKeyPairCommand,
  CreateSecurityGroupCommand,
  CreateTagsCommand,
  CreateVolumeCommand,
  DeleteKeyPairCommand,
  DeleteSecurityGroupCommand,
  DeleteTagsCommand,
  DescribeAccountAttributesCommand,
  DescribeInstanceTypeOfferingsCommand,
  DescribeInstanceTypesCommand,
  DescribeKeyPairsCommand,
  DescribeSecurityGroupsCommand,
  DescribeSpotPriceHistoryCommand,
  DescribeSubnetsCommand,
  DescribeTagsCommand,
  DescribeVolumesCommand,
  DescribeVpcsCommand,
  EC2Client,
  EC2ServiceException,
  ImportKeyPairCommand,
  RevokeSecurityGroupIngressCommand,
  RunInstancesCommand,
  TerminateInstancesCommand,
} from "@aws-sdk/client-ec2";
import { IMAGES } from "../../../lib/ec2/model/image-catalogue.ts";
import { startEc2Harness, storeSnapshot, type Ec2Harness } from "../helpers/ec2-harness.ts";

const IMAGE = IMAGES.find((i) => i.architecture === "x86_64")!.imageId;
const ED25519 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG0aVSBldkx4ItMxZl1xQ6BoZfTI5a5lXW3Ws0n9G5Dz me@laptop";

let harness: Ec2Harness;
let alice: EC2Client;
let bob: EC2Client;

beforeAll(async () => {
  harness = await startEc2Harness();
  alice = await harness.client("alice");
  bob = await harness.client("bob");
  await harness.addMachines(2, { cpus: 2, memoryMib: 4096, diskGib: 50, zone: "rack-1" });
  await harness.addMachines(1, { cpus: 8, memoryMib: 32768, diskGib: 500, zone: "rack-2" });
});
afterAll(() => harness.close());

async function errorName(promise: Promise<unknown>): Promise<string | undefined> {
  return promise.then(
    () => undefined,
    (e: unknown) => (e instanceof EC2ServiceException ? e.name : `not an EC2 error: ${String(e)}`),
  );
}

describe("security groups", () => {
  it("creates, authorizes, revokes and deletes, refusing duplicates and unknown groups", async () => {
    const { GroupId } = await alice.send(new CreateSecurityGroupCommand({ GroupName: "web", Description: "web tier", TagSpecifications: [{ ResourceType: "security-group", Tags: [{ Key: "tier", Value: "web" }] }] }));
    expect(GroupId).toMatch(/^sg-[0-9a-f]{17}$/);
    expect(await errorName(alice.send(new CreateSecurityGroupCommand({ GroupName: "web", Description: "again" })))).toBe("InvalidGroup.Duplicate");
    // Another account may use the same name: groups are per account.
    await bob.send(new CreateSecurityGroupCommand({ GroupName: "web", Description: "bob's web" }));
    expect(await errorName(bob.send(new DescribeSecurityGroupsCommand({ GroupIds: [GroupId!] })))).toBe("InvalidGroup.NotFound");

    const rules = [{ IpProtocol: "tcp", FromPort: 80, ToPort: 443, IpRanges: [{ CidrIp: "192.0.2.0/24" }], Ipv6Ranges: [{ CidrIpv6: "2001:db8::/32" }] }];
    await alice.send(new AuthorizeSecurityGroupIngressCommand({ GroupId, IpPermissions: rules }));
    const before = await storeSnapshot(harness.services);
    // A request with one duplicate rule and one new rule is refused whole.
    expect(await errorName(alice.send(new AuthorizeSecurityGroupIngressCommand({ GroupId, IpPermissions: [{ IpProtocol: "udp", FromPort: 53, ToPort: 53, IpRanges: [{ CidrIp: "0.0.0.0/0" }] }, ...rules] })))).toBe("InvalidPermission.Duplicate");
    expect(await errorName(alice.send(new AuthorizeSecurityGroupIngressCommand({ GroupId, IpPermissions: [{ IpProtocol: "tcp", FromPort: 9, ToPort: 1, IpRanges: [{ CidrIp: "0.0.0.0/0" }] }] })))).toBe("InvalidParameterValue");
    expect(await errorName(alice.send(new AuthorizeSecurityGroupIngressCommand({ GroupId, IpPermissions: [{ IpProtocol: "tcp", FromPort: 1, ToPort: 2, IpRanges: [{ CidrIp: "300.0.0.0/8" }] }] })))).toBe("InvalidParameterValue");
    expect(await storeSnapshot(harness.services)).toBe(before);

    const group = (await alice.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: "tag:tier", Values: ["web"] }] }))).SecurityGroups!;
    expect(group.map((g) => g.GroupName)).toEqual(["web"]);
    expect(group[0]!.IpPermissions).toEqual([{ IpProtocol: "tcp", FromPort: 80, ToPort: 443, IpRanges: [{ CidrIp: "192.0.2.0/24" }], Ipv6Ranges: [{ CidrIpv6: "2001:db8::/32" }], PrefixListIds: [], UserIdGroupPairs: [] }]);
    expect(group[0]!.IpPermissionsEgress![0]!.IpProtocol).toBe("-1");

    await alice.send(new RevokeSecurityGroupIngressCommand({ GroupId, IpPermissions: rules }));
    expect(await errorName(alice.send(new RevokeSecurityGroupIngressCommand({ GroupId, IpPermissions: rules })))).toBe("InvalidPermission.NotFound");
    await alice.send(new DeleteSecurityGroupCommand({ GroupId }));
    expect(await errorName(alice.send(new DeleteSecurityGroupCommand({ GroupId })))).toBe("InvalidGroup.NotFound");

    // An instance lists its groups in the order they were asked for, whatever their ids.
    const one = (await alice.send(new CreateSecurityGroupCommand({ GroupName: "one", Description: "1" }))).GroupId!;
    const two = (await alice.send(new CreateSecurityGroupCommand({ GroupName: "two", Description: "2" }))).GroupId!;
    for (const order of [[one, two], [two, one]]) {
      const run = await alice.send(new RunInstancesCommand({ ImageId: IMAGE, MinCount: 1, MaxCount: 1, SecurityGroupIds: order }));
      expect(run.Instances![0]!.SecurityGroups!.map((g) => g.GroupId)).toEqual(order);
      await alice.send(new TerminateInstancesCommand({ InstanceIds: [run.Instances![0]!.InstanceId!] }));
    }
    expect(await errorName(alice.send(new DeleteSecurityGroupCommand({ GroupName: "default" })))).toBe("InvalidParameterValue");
  });
});

describe("key pairs", () => {
  it("imports, creates, describes and deletes per account", async () => {
    const imported = await alice.send(new ImportKeyPairCommand({ KeyName: "laptop", PublicKeyMaterial: Buffer.from(ED25519) }));
    expect(imported.KeyPairId).toMatch(/^key-/);
    expect(await errorName(alice.send(new ImportKeyPairCommand({ KeyName: "laptop", PublicKeyMaterial: Buffer.from(ED25519) })))).toBe("InvalidKeyPair.Duplicate");
    expect(await errorName(alice.send(new ImportKeyPairCommand({ KeyName: "junk", PublicKeyMaterial: Buffer.from("not a key") })))).toBe("InvalidKeyPair.Format");
    const created = await alice.send(new CreateKeyPairCommand({ KeyName: "made" }));
    expect(created.KeyMaterial).toContain("BEGIN RSA PRIVATE KEY");
    const listed = await alice.send(new DescribeKeyPairsCommand({ IncludePublicKey: true }));
    expect(listed.KeyPairs!.map((k) => [k.KeyName, k.KeyType])).toEqual([
      ["laptop", "ed25519"],
      ["made", "rsa"],
    ]);
    expect(listed.KeyPairs![0]!.PublicKey).toBe(ED25519.split(" ").slice(0, 2).join(" "));
    expect((await bob.send(new DescribeKeyPairsCommand({}))).KeyPairs).toEqual([]);
    expect(await errorName(bob.send(new DescribeKeyPairsCommand({ KeyNames: ["laptop"] })))).toBe("InvalidKeyPair.NotFound");
    // A launched instance records its key name.
    const run = await alice.send(new RunInstancesCommand({ ImageId: IMAGE, MinCount: 1, MaxCount: 1, KeyName: "laptop", InstanceType: "t3.medium" }));
    expect(run.Instances![0]!.KeyName).toBe("laptop");
    await alice.send(new DeleteKeyPairCommand({ KeyName: "made" }));
    await alice.send(new DeleteKeyPairCommand({ KeyName: "made" }));
    expect((await alice.send(new DescribeKeyPairsCommand({}))).KeyPairs!.map((k) => k.KeyName)).toEqual(["laptop"]);
  });
});

describe("tags", () => {
  it("creates, describes and deletes tags, checking every resource first", async () => {
    const vpcId = (await alice.send(new DescribeVpcsCommand({}))).Vpcs![0]!.VpcId!;
    await alice.send(new CreateTagsCommand({ Resources: [vpcId], Tags: [{ Key: "site", Value: "lab" }, { Key: "empty", Value: "" }] }));
    const before = await storeSnapshot(harness.services);
    expect(await errorName(alice.send(new CreateTagsCommand({ Resources: [vpcId, "sg-0123456789abcdef0"], Tags: [{ Key: "x", Value: "y" }] })))).toBe("InvalidGroup.NotFound");
    expect(await errorName(alice.send(new CreateTagsCommand({ Resources: ["bogus-123"], Tags: [{ Key: "x", Value: "y" }] })))).toBe("InvalidID");
    expect(await errorName(alice.send(new CreateTagsCommand({ Resources: [vpcId], Tags: [{ Key: "aws:owner", Value: "me" }] })))).toBe("InvalidParameterValue");
    expect(await storeSnapshot(harness.services)).toBe(before);
    const tags = await alice.send(new DescribeTagsCommand({ Filters: [{ Name: "resource-type", Values: ["vpc"] }] }));
    expect(tags.Tags!.map((t) => [t.ResourceId, t.Key, t.Value])).toEqual([
      [vpcId, "empty", ""],
      [vpcId, "site", "lab"],
    ]);
    // Tags are per account, even on a shared resource.
    expect((await bob.send(new DescribeTagsCommand({}))).Tags).toEqual([]);
    await alice.send(new DeleteTagsCommand({ Resources: [vpcId], Tags: [{ Key: "site", Value: "elsewhere" }] }));
    expect((await alice.send(new DescribeTagsCommand({}))).Tags!.length).toBe(2);
    await alice.send(new DeleteTagsCommand({ Resources: [vpcId], Tags: [{ Key: "site" }] }));
    await alice.send(new DeleteTagsCommand({ Resources: [vpcId] }));
    expect((await alice.send(new DescribeTagsCommand({}))).Tags).toEqual([]);
  });
});

describe("region facts", () => {
  it("shows the default VPC with a subnet per zone", async () => {
    const attributes = await alice.send(new DescribeAccountAttributesCommand({ AttributeNames: ["default-vpc", "supported-platforms"] }));
    const vpcId = attributes.AccountAttributes!.find((a) => a.AttributeName === "default-vpc")!.AttributeValues![0]!.AttributeValue!;
    const vpc = (await alice.send(new DescribeVpcsCommand({ Filters: [{ Name: "is-default", Values: ["true"] }] }))).Vpcs!;
    expect(vpc.map((v) => [v.VpcId, v.CidrBlock, v.IsDefault])).toEqual([[vpcId, "10.20.0.0/16", true]]);
    const subnets = (await alice.send(new DescribeSubnetsCommand({ Filters: [{ Name: "vpc-id", Values: [vpcId] }] }))).Subnets!;
    expect(subnets.map((s) => [s.AvailabilityZone, s.CidrBlock]).sort()).toEqual([
      ["default", "10.20.0.0/24"],
      ["rack-1", "10.20.1.0/24"],
      ["rack-2", "10.20.2.0/24"],
    ]);
    expect(await errorName(alice.send(new DescribeAccountAttributesCommand({ AttributeNames: ["colour" as never] })))).toBe("InvalidParameterValue");
  });

  it("offers only instance types some machine can satisfy, in the zones where it can", async () => {
    const offerings = await alice.send(new DescribeInstanceTypeOfferingsCommand({ LocationType: "availability-zone" }));
    const byType = new Map<string, string[]>();
    for (const o of offerings.InstanceTypeOfferings!) byType.set(o.InstanceType!, [...(byType.get(o.InstanceType!) ?? []), o.Location!]);
    expect(byType.get("t3.medium")).toEqual(["rack-1", "rack-2"]);
    expect(byType.get("m5.2xlarge")).toEqual(["rack-2"]);
    expect(byType.has("m5.metal")).toBe(false);
    const types = await alice.send(new DescribeInstanceTypesCommand({ InstanceTypes: ["m5.2xlarge"] }));
    expect(types.InstanceTypes![0]).toMatchObject({ InstanceType: "m5.2xlarge", BareMetal: true, VCpuInfo: { DefaultVCpus: 8 }, MemoryInfo: { SizeInMiB: 32768 } });
    expect(await errorName(alice.send(new DescribeInstanceTypesCommand({ InstanceTypes: ["z9.nothing" as never] })))).toBe("InvalidInstanceType");
    expect((await alice.send(new DescribeSpotPriceHistoryCommand({}))).SpotPriceHistory).toEqual([]);
  });

  it("shows a live instance's disks as volumes and refuses to create volumes", async () => {
    const volumes = (await alice.send(new DescribeVolumesCommand({}))).Volumes!;
    expect(volumes.length).toBeGreaterThan(0);
    expect(volumes[0]).toMatchObject({ State: "in-use", Attachments: [{ Device: "/dev/sda1", State: "attached" }] });
    expect((await bob.send(new DescribeVolumesCommand({}))).Volumes).toEqual([]);
    expect(await errorName(alice.send(new CreateVolumeCommand({ AvailabilityZone: "rack-1", Size: 10 })))).toBe("UnsupportedOperation");
  });
});
