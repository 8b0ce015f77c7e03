/**
 * DryRun through the AWS SDK: every check the real action runs answers as it would without
 * DryRun (bad or oversized user-data, a missing key pair or image, no capacity, another
 * account's instance, a duplicate name, a tag limit ...), and only a request that would
 * have succeeded answers DryRunOperation; nothing is ever written, not even the default
 * security group RunInstances creates on first use.
 */
import {
  CreateSecurityGroupCommand,
  CreateTagsCommand,
  DeleteKeyPairCommand,
  DescribeInstancesCommand,
  DescribeKeyPairsCommand,
  type EC2Client,
  ImportKeyPairCommand,
  RunInstancesCommand,
  StopInstancesCommand,
  TerminateInstancesCommand,
} from "@aws-sdk/client-ec2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IMAGES } from "../../../lib/ec2/model/image-catalogue.ts";
import { startEc2Harness, storeSnapshot, type Ec2Harness } from "../helpers/ec2-harness.ts";

const IMAGE = IMAGES[0]!.imageId;
const KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG0aVSBldkx4ItMxZl1xQ6BoZfTI5a5lXW3Ws0n9G5Dz";
let harness: Ec2Harness;
let alice: EC2Client;
let bob: EC2Client;

beforeAll(async () => {
  harness = await startEc2Harness();
  alice = await harness.client("alice");
  bob = await harness.client("bob");
  await harness.addMachines(2);
});
afterAll(() => harness.close());

/** The EC2 error code a call answers with (DryRunOperation when it would have succeeded). */
async function codeOf(call: Promise<unknown>): Promise<string> {
  return call.then(
    () => "succeeded",
    (error: Error) => error.name,
  );
}

describe("DryRun", () => {
  it("runs RunInstances' own checks and writes nothing", async () => {
    const before = await storeSnapshot(harness.services);
    const run = (extra: Record<string, unknown>) => new RunInstancesCommand({ ImageId: IMAGE, MinCount: 1, MaxCount: 1, DryRun: true, ...extra });
    expect(await codeOf(alice.send(run({ UserData: "not base64!" })))).toBe("InvalidParameterValue");
    expect(await codeOf(alice.send(run({ UserData: Buffer.alloc(17 * 1024, 1).toString("base64") })))).toBe("InvalidParameterValue");
    expect(await codeOf(alice.send(run({ KeyName: "no-such-key" })))).toBe("InvalidKeyPair.NotFound");
    expect(await codeOf(alice.send(run({ ImageId: "ami-0000000000000dead" })))).toBe("InvalidAMIID.NotFound");
    expect(await codeOf(alice.send(run({ MinCount: 3, MaxCount: 3 })))).toBe("InsufficientInstanceCapacity");
    expect(await codeOf(alice.send(run({ SubnetId: "subnet-0123456789abcdef0" })))).toBe("InvalidSubnetID.NotFound");
    expect(await codeOf(alice.send(run({ MinCount: 2, MaxCount: 2 })))).toBe("DryRunOperation");
    expect(await storeSnapshot(harness.services)).toBe(before);
  });

  it("refuses to touch another account's instance, and touches none", async () => {
    const launched = await bob.send(new RunInstancesCommand({ ImageId: IMAGE, MinCount: 1, MaxCount: 1 }));
    const id = launched.Instances![0]!.InstanceId!;
    const before = await storeSnapshot(harness.services);
    expect(await codeOf(alice.send(new TerminateInstancesCommand({ InstanceIds: [id], DryRun: true })))).toBe("InvalidInstanceID.NotFound");
    expect(await codeOf(alice.send(new StopInstancesCommand({ InstanceIds: [id], DryRun: true })))).toBe("InvalidInstanceID.NotFound");
    expect(await codeOf(bob.send(new TerminateInstancesCommand({ InstanceIds: [id], DryRun: true })))).toBe("DryRunOperation");
    expect(await storeSnapshot(harness.services)).toBe(before);
    const still = await bob.send(new DescribeInstancesCommand({ InstanceIds: [id] }));
    expect(still.Reservations![0]!.Instances![0]!.State?.Name).toBe("running");
    await bob.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
  });

  it("runs the checks of key pairs, groups, tags and Describe* too", async () => {
    await alice.send(new ImportKeyPairCommand({ KeyName: "kept", PublicKeyMaterial: Buffer.from(KEY) }));
    await alice.send(new CreateSecurityGroupCommand({ GroupName: "web", Description: "web" }));
    const before = await storeSnapshot(harness.services);
    expect(await codeOf(alice.send(new ImportKeyPairCommand({ KeyName: "bad", PublicKeyMaterial: Buffer.from("ssh-rsa nonsense"), DryRun: true })))).toBe("InvalidKeyPair.Format");
    expect(await codeOf(alice.send(new ImportKeyPairCommand({ KeyName: "kept", PublicKeyMaterial: Buffer.from(KEY), DryRun: true })))).toBe("InvalidKeyPair.Duplicate");
    expect(await codeOf(alice.send(new ImportKeyPairCommand({ KeyName: "new", PublicKeyMaterial: Buffer.from(KEY), DryRun: true })))).toBe("DryRunOperation");
    expect(await codeOf(alice.send(new CreateSecurityGroupCommand({ GroupName: "web", Description: "again", DryRun: true })))).toBe("InvalidGroup.Duplicate");
    expect(await codeOf(alice.send(new CreateTagsCommand({ Resources: ["sg-0123456789abcdef0"], Tags: [{ Key: "a", Value: "b" }], DryRun: true })))).toBe("InvalidGroup.NotFound");
    const tooMany = Array.from({ length: 50 }, (_, n) => ({ Key: `k${n}`, Value: "v" }));
    const groups = await alice.send(new DescribeKeyPairsCommand({}));
    const keyId = groups.KeyPairs![0]!.KeyPairId!;
    await alice.send(new CreateTagsCommand({ Resources: [keyId], Tags: [{ Key: "existing", Value: "1" }] }));
    const withTag = await storeSnapshot(harness.services);
    expect(await codeOf(alice.send(new CreateTagsCommand({ Resources: [keyId], Tags: tooMany, DryRun: true })))).toBe("InvalidParameterValue");
    expect(await codeOf(alice.send(new DeleteKeyPairCommand({ KeyName: "kept", DryRun: true })))).toBe("DryRunOperation");
    expect(await codeOf(alice.send(new DescribeInstancesCommand({ Filters: [{ Name: "colour", Values: ["red"] }], DryRun: true })))).toBe("InvalidParameterValue");
    expect(await codeOf(alice.send(new DescribeInstancesCommand({ DryRun: true })))).toBe("DryRunOperation");
    expect(await storeSnapshot(harness.services)).toBe(withTag);
    expect(before).not.toBe(withTag);
    expect((await alice.send(new DescribeKeyPairsCommand({}))).KeyPairs?.map((k) => k.KeyName)).toEqual(["kept"]);
  });
});
