/**
 * What Terraform and Ansible read and set beside RunInstances, through the AWS SDK for
 * JavaScript: instance attributes (and the protections TerminateInstances and StopInstances
 * honour), NetworkInterface.1 and volume tags on RunInstances, the default VPC's attributes,
 * and the empty answers (credit specifications, launch templates).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CreateSecurityGroupCommand,
  DescribeInstanceAttributeCommand,
  DescribeInstanceCreditSpecificationsCommand,
  DescribeInstancesCommand,
  DescribeLaunchTemplatesCommand,
  DescribeSubnetsCommand,
  DescribeVolumesCommand,
  DescribeVpcAttributeCommand,
  DescribeVpcClassicLinkCommand,
  DescribeVpcsCommand,
  EC2Client,
  EC2ServiceException,
  ModifyInstanceAttributeCommand,
  RunInstancesCommand,
  StartInstancesCommand,
  StopInstancesCommand,
  TerminateInstancesCommand,
  type InstanceAttributeName,
} from "@aws-sdk/client-ec2";
import { IMAGES } from "../../../lib/ec2/model/image-catalogue.ts";
import { startEc2Harness, storeSnapshot, type Ec2Harness } from "../helpers/ec2-harness.ts";

const IMAGE = IMAGES.find((i) => i.architecture === "x86_64")!.imageId;

let harness: Ec2Harness;
let alice: EC2Client;
let bob: EC2Client;
let subnetId: string;
let groupId: string;

beforeAll(async () => {
  harness = await startEc2Harness();
  alice = await harness.client("alice");
  bob = await harness.client("bob");
  await harness.addMachines(6, { cpus: 2, memoryMib: 4096, diskGib: 50, zone: "rack-1" });
  const { Vpcs } = await alice.send(new DescribeVpcsCommand({ Filters: [{ Name: "isDefault", Values: ["true"] }] }));
  const { Subnets } = await alice.send(new DescribeSubnetsCommand({ Filters: [{ Name: "vpc-id", Values: [Vpcs![0]!.VpcId!] }, { Name: "state", Values: ["available"] }, { Name: "default-for-az", Values: ["true"] }] }));
  subnetId = Subnets!.find((s) => s.AvailabilityZone === "rack-1")!.SubnetId!;
  groupId = (await alice.send(new CreateSecurityGroupCommand({ GroupName: "web", Description: "web" }))).GroupId!;
});
afterAll(() => harness.close());

async function errorName(promise: Promise<unknown>): Promise<string | undefined> {
  return promise.then(
    () => undefined,
    (e: unknown) => (e instanceof EC2ServiceException ? e.name : `not an EC2 error: ${String(e)}`),
  );
}

/** RunInstances as Ansible's ec2_instance sends it: one NetworkInterface, instance and volume tags. */
async function launchAsAnsible(client: EC2Client, extra: Record<string, unknown> = {}): Promise<string> {
  const { Instances } = await client.send(
    new RunInstancesCommand({
      ImageId: IMAGE,
      MinCount: 1,
      MaxCount: 1,
      InstanceType: "t2.micro",
      ClientToken: crypto.randomUUID().replaceAll("-", ""),
      NetworkInterfaces: [{ DeviceIndex: 0, SubnetId: subnetId, Groups: [groupId], AssociatePublicIpAddress: false }],
      TagSpecifications: [
        { ResourceType: "volume", Tags: [{ Key: "Name", Value: "web-1" }] },
        { ResourceType: "instance", Tags: [{ Key: "Name", Value: "web-1" }] },
      ],
      ...extra,
    }),
  );
  return Instances![0]!.InstanceId!;
}

async function attribute(client: EC2Client, instanceId: string, name: InstanceAttributeName) {
  return client.send(new DescribeInstanceAttributeCommand({ InstanceId: instanceId, Attribute: name }));
}

describe("RunInstances as Ansible sends it", () => {
  it("takes NetworkInterface.1 (subnet, groups, no public address) and tags the volumes", async () => {
    const id = await launchAsAnsible(alice);
    const instance = (await alice.send(new DescribeInstancesCommand({ InstanceIds: [id] }))).Reservations![0]!.Instances![0]!;
    expect([instance.SubnetId, instance.Placement?.AvailabilityZone, instance.SecurityGroups?.map((g) => g.GroupId)]).toEqual([subnetId, "rack-1", [groupId]]);
    const volumes = (await alice.send(new DescribeVolumesCommand({ Filters: [{ Name: "attachment.instance-id", Values: [id] }] }))).Volumes!;
    expect(volumes.length).toBeGreaterThan(0);
    expect(volumes.map((v) => v.Tags)).toEqual(volumes.map(() => [{ Key: "Name", Value: "web-1" }]));
    // Ansible finds it again by the interface's id.
    const eni = instance.NetworkInterfaces![0]!.NetworkInterfaceId!;
    const found = await alice.send(new DescribeInstancesCommand({ Filters: [{ Name: "network-interface.network-interface-id", Values: [eni] }] }));
    expect(found.Reservations!.flatMap((r) => r.Instances!.map((i) => i.InstanceId))).toEqual([id]);
    await alice.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
  });

  it("refuses interfaces a bare-metal machine cannot have, changing nothing", async () => {
    const before = await storeSnapshot(harness.services);
    const run = (nics: unknown, extra: Record<string, unknown> = {}) =>
      errorName(alice.send(new RunInstancesCommand({ ImageId: IMAGE, MinCount: 1, MaxCount: 1, NetworkInterfaces: nics as never, ...extra })));
    expect(await run([{ DeviceIndex: 1, SubnetId: subnetId }])).toBe("InvalidParameterValue");
    expect(await run([{ SubnetId: subnetId }])).toBe("MissingParameter");
    expect(await run([{ DeviceIndex: 0 }, { DeviceIndex: 1 }])).toBe("UnsupportedOperation");
    expect(await run([{ DeviceIndex: 0, AssociatePublicIpAddress: true }])).toBe("UnsupportedOperation");
    expect(await run([{ DeviceIndex: 0, DeleteOnTermination: false }])).toBe("UnsupportedOperation");
    expect(await run([{ DeviceIndex: 0 }], { SubnetId: subnetId })).toBe("InvalidParameterCombination");
    expect(await run([{ DeviceIndex: 0 }], { SecurityGroupIds: [groupId] })).toBe("InvalidParameterCombination");
    expect(await run([{ DeviceIndex: 0, SubnetId: "subnet-0123456789abcdef0" }])).toBe("InvalidSubnetID.NotFound");
    expect(await run([{ DeviceIndex: 0, Groups: ["sg-0123456789abcdef0"] }])).toBe("InvalidGroup.NotFound");
    expect(await run([{ DeviceIndex: 0, NetworkInterfaceId: "eni-0123456789abcdef0" }])).toBe("UnknownParameter");
    expect(await run([{ DeviceIndex: 0 }], { InstanceInitiatedShutdownBehavior: "terminate" })).toBe("UnsupportedOperation");
    expect(await run([{ DeviceIndex: 0 }], { TagSpecifications: [{ ResourceType: "snapshot", Tags: [{ Key: "a", Value: "b" }] }] })).toBe("InvalidParameterValue");
    expect(await storeSnapshot(harness.services)).toBe(before);
  });
});

describe("DescribeInstanceAttribute", () => {
  it("answers every attribute Terraform and Ansible read", async () => {
    const userData = Buffer.from("#cloud-config\nhostname: web\n").toString("base64");
    const id = await launchAsAnsible(alice, { UserData: userData, DisableApiStop: true });
    expect((await attribute(alice, id, "instanceType")).InstanceType?.Value).toBe("t2.micro");
    expect((await attribute(alice, id, "userData")).UserData?.Value).toBe(userData);
    expect((await attribute(alice, id, "disableApiTermination")).DisableApiTermination?.Value).toBe(false);
    expect((await attribute(alice, id, "disableApiStop")).DisableApiStop?.Value).toBe(true);
    expect((await attribute(alice, id, "instanceInitiatedShutdownBehavior")).InstanceInitiatedShutdownBehavior?.Value).toBe("stop");
    expect((await attribute(alice, id, "groupSet")).Groups).toEqual([{ GroupId: groupId, GroupName: "web" }]);
    expect((await attribute(alice, id, "rootDeviceName")).RootDeviceName?.Value).toBe("/dev/sda1");
    const mapping = (await attribute(alice, id, "blockDeviceMapping")).BlockDeviceMappings!;
    expect(mapping[0]!.DeviceName).toBe("/dev/sda1");
    expect(mapping[0]!.Ebs?.VolumeId).toMatch(/^vol-/);
    expect((await attribute(alice, id, "ebsOptimized")).EbsOptimized?.Value).toBe(false);
    const bare = await launchAsAnsible(alice);
    expect((await attribute(alice, bare, "userData")).UserData?.Value).toBeUndefined();
    await alice.send(new ModifyInstanceAttributeCommand({ InstanceId: id, DisableApiStop: { Value: false } }));
    await alice.send(new TerminateInstancesCommand({ InstanceIds: [id, bare] }));
  });

  it("refuses unknown attributes, malformed ids and other accounts' instances", async () => {
    const id = await launchAsAnsible(alice);
    expect(await errorName(attribute(alice, id, "noSuchThing" as InstanceAttributeName))).toBe("InvalidParameterValue");
    expect(await errorName(alice.send(new DescribeInstanceAttributeCommand({ InstanceId: id } as never)))).toBe("MissingParameter");
    expect(await errorName(attribute(alice, "i-nothex", "userData"))).toBe("InvalidInstanceID.Malformed");
    expect(await errorName(attribute(alice, "i-0123456789abcdef0", "userData"))).toBe("InvalidInstanceID.NotFound");
    expect(await errorName(attribute(bob, id, "userData"))).toBe("InvalidInstanceID.NotFound");
    await alice.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
  });
});

describe("ModifyInstanceAttribute", () => {
  it("honours disableApiTermination: a protected instance is not terminated, nor any other in the same call", async () => {
    const protectedId = await launchAsAnsible(alice, { DisableApiTermination: true });
    const other = await launchAsAnsible(alice);
    const before = await storeSnapshot(harness.services);
    expect(await errorName(alice.send(new TerminateInstancesCommand({ InstanceIds: [other, protectedId] })))).toBe("OperationNotPermitted");
    expect(await storeSnapshot(harness.services)).toBe(before);
    // Terraform's delete: lift the protection, then terminate.
    await alice.send(new ModifyInstanceAttributeCommand({ InstanceId: protectedId, DisableApiTermination: { Value: false } }));
    await alice.send(new TerminateInstancesCommand({ InstanceIds: [other, protectedId] }));
    // Set through Attribute/Value as well, as older clients do.
    const third = await launchAsAnsible(alice);
    await alice.send(new ModifyInstanceAttributeCommand({ InstanceId: third, Attribute: "disableApiTermination", Value: "true" }));
    expect((await attribute(alice, third, "disableApiTermination")).DisableApiTermination?.Value).toBe(true);
    expect(await errorName(alice.send(new TerminateInstancesCommand({ InstanceIds: [third] })))).toBe("OperationNotPermitted");
    await alice.send(new ModifyInstanceAttributeCommand({ InstanceId: third, Attribute: "disableApiTermination", Value: "false" }));
    await alice.send(new TerminateInstancesCommand({ InstanceIds: [third] }));
  });

  it("honours disableApiStop and changes user data only while stopped, for the metadata service too", async () => {
    const id = await launchAsAnsible(alice);
    await alice.send(new ModifyInstanceAttributeCommand({ InstanceId: id, DisableApiStop: { Value: true } }));
    expect(await errorName(alice.send(new StopInstancesCommand({ InstanceIds: [id] })))).toBe("OperationNotPermitted");
    await alice.send(new ModifyInstanceAttributeCommand({ InstanceId: id, DisableApiStop: { Value: false } }));
    const newData = new TextEncoder().encode("#!/bin/sh\necho changed\n");
    expect(await errorName(alice.send(new ModifyInstanceAttributeCommand({ InstanceId: id, UserData: { Value: newData } })))).toBe("IncorrectInstanceState");
    await alice.send(new StopInstancesCommand({ InstanceIds: [id] }));
    await alice.send(new ModifyInstanceAttributeCommand({ InstanceId: id, UserData: { Value: newData } }));
    expect(Buffer.from((await attribute(alice, id, "userData")).UserData!.Value!, "base64").toString()).toBe("#!/bin/sh\necho changed\n");
    const row = await harness.services.db.get<{ user_data: string }>("SELECT user_data FROM instance_metadata WHERE instance_id = $1", [id]);
    // Sealed at rest: opened with the store's key, as the metadata service does.
    const opened = harness.services.db.secrets.open(row!.user_data, `instance:${id}:metadata-user-data`);
    expect(Buffer.from(opened, "base64").toString()).toBe("#!/bin/sh\necho changed\n");
    await alice.send(new StartInstancesCommand({ InstanceIds: [id] }));
    await alice.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
  });

  it("replaces the security groups", async () => {
    const id = await launchAsAnsible(alice);
    const db = (await alice.send(new CreateSecurityGroupCommand({ GroupName: "db", Description: "db" }))).GroupId!;
    await alice.send(new ModifyInstanceAttributeCommand({ InstanceId: id, Groups: [db, groupId] }));
    expect((await attribute(alice, id, "groupSet")).Groups!.map((g) => g.GroupName)).toEqual(["db", "web"]);
    await alice.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
  });

  it("refuses what bare metal cannot do and bad requests, changing nothing", async () => {
    const id = await launchAsAnsible(alice);
    const bobGroup = (await bob.send(new CreateSecurityGroupCommand({ GroupName: "bobs", Description: "bob" }))).GroupId!;
    const before = await storeSnapshot(harness.services);
    const modify = (input: Record<string, unknown>, client = alice) => errorName(client.send(new ModifyInstanceAttributeCommand({ InstanceId: id, ...input })));
    expect(await modify({ InstanceType: { Value: "m5.large" } })).toBe("UnsupportedOperation");
    expect(await modify({ InstanceInitiatedShutdownBehavior: { Value: "terminate" } })).toBe("UnsupportedOperation");
    expect(await modify({ InstanceInitiatedShutdownBehavior: { Value: "explode" } })).toBe("InvalidParameterValue");
    expect(await modify({ SourceDestCheck: { Value: false } })).toBe("UnsupportedOperation");
    expect(await modify({ Kernel: { Value: "aki-12345678" } })).toBe("UnsupportedOperation");
    expect(await modify({ DisableApiTermination: { Value: true }, DisableApiStop: { Value: true } })).toBe("InvalidParameterCombination");
    expect(await modify({})).toBe("MissingParameter");
    expect(await modify({ Attribute: "disableApiTermination" })).toBe("MissingParameter");
    expect(await modify({ Attribute: "disableApiTermination", Value: "maybe" })).toBe("InvalidParameterValue");
    expect(await modify({ Attribute: "rootDeviceName", Value: "/dev/sdb" })).toBe("InvalidParameterValue");
    expect(await modify({ Groups: [bobGroup] })).toBe("InvalidGroup.NotFound");
    expect(await modify({ DisableApiTermination: { Value: true } }, bob)).toBe("InvalidInstanceID.NotFound");
    expect(await storeSnapshot(harness.services)).toBe(before);
    await alice.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
    expect(await modify({ DisableApiTermination: { Value: true } })).toBe("IncorrectInstanceState");
  });
});

describe("the default VPC and the empty answers", () => {
  it("finds the default VPC by either filter spelling and answers its DNS attributes", async () => {
    const byDash = (await alice.send(new DescribeVpcsCommand({ Filters: [{ Name: "is-default", Values: ["true"] }] }))).Vpcs!;
    const byCamel = (await alice.send(new DescribeVpcsCommand({ Filters: [{ Name: "isDefault", Values: ["true"] }] }))).Vpcs!;
    expect(byCamel.map((v) => v.VpcId)).toEqual(byDash.map((v) => v.VpcId));
    expect(byCamel).toHaveLength(1);
    const vpcId = byCamel[0]!.VpcId!;
    expect((await alice.send(new DescribeVpcAttributeCommand({ VpcId: vpcId, Attribute: "enableDnsSupport" }))).EnableDnsSupport?.Value).toBe(true);
    expect((await alice.send(new DescribeVpcAttributeCommand({ VpcId: vpcId, Attribute: "enableDnsHostnames" }))).EnableDnsHostnames?.Value).toBe(true);
    expect(await errorName(alice.send(new DescribeVpcAttributeCommand({ VpcId: "vpc-0123456789abcdef0", Attribute: "enableDnsSupport" })))).toBe("InvalidVpcID.NotFound");
    expect(await errorName(alice.send(new DescribeVpcAttributeCommand({ VpcId: vpcId, Attribute: "enableDnsNonsense" as never })))).toBe("InvalidParameterValue");
    expect(await errorName(alice.send(new DescribeVpcAttributeCommand({ VpcId: vpcId } as never)))).toBe("MissingParameter");
    expect(await errorName(alice.send(new DescribeVpcClassicLinkCommand({ VpcIds: [vpcId] })))).toBe("UnsupportedOperation");
    // One default subnet per zone, found by either spelling AWS documents.
    const subnets = (await alice.send(new DescribeSubnetsCommand({ Filters: [{ Name: "default-for-az", Values: ["true"] }] }))).Subnets!;
    expect(new Set(subnets.map((s) => s.AvailabilityZone)).size).toBe(subnets.length);
    const camel = (await alice.send(new DescribeSubnetsCommand({ Filters: [{ Name: "defaultForAz", Values: ["true"] }, { Name: "availabilityZone", Values: ["rack-1"] }, { Name: "cidrBlock", Values: ["*"] }] }))).Subnets!;
    expect(camel.map((s) => s.SubnetId)).toEqual([subnetId]);
  });

  it("has no credit specifications (nothing is burstable) and no launch templates", async () => {
    const id = await launchAsAnsible(alice);
    expect((await alice.send(new DescribeInstanceCreditSpecificationsCommand({ InstanceIds: [id] }))).InstanceCreditSpecifications).toEqual([]);
    expect(await errorName(bob.send(new DescribeInstanceCreditSpecificationsCommand({ InstanceIds: [id] })))).toBe("InvalidInstanceID.NotFound");
    expect((await alice.send(new DescribeLaunchTemplatesCommand({}))).LaunchTemplates).toEqual([]);
    expect(await errorName(alice.send(new DescribeLaunchTemplatesCommand({ LaunchTemplateNames: ["web"] })))).toBe("InvalidLaunchTemplateName.NotFoundException");
    expect(await errorName(alice.send(new DescribeLaunchTemplatesCommand({ LaunchTemplateIds: ["lt-0123456789abcdef0"] })))).toBe("InvalidLaunchTemplateId.NotFound");
    expect(await errorName(alice.send(new DescribeLaunchTemplatesCommand({ Filters: [{ Name: "no-such-filter", Values: ["x"] }] })))).toBe("InvalidParameterValue");
    await alice.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
  });
});
