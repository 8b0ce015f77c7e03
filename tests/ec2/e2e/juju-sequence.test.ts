/**
 * Replays what Juju's EC2 provider does to bootstrap a controller and add a machine
 * (reference/ec2_api.md §1), call for call, against a real `orchestra serve`.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  CreateTagsCommand,
  DeleteSecurityGroupCommand,
  DescribeAccountAttributesCommand,
  DescribeAvailabilityZonesCommand,
  DescribeInstanceTypeOfferingsCommand,
  DescribeInstanceTypesCommand,
  DescribeInstancesCommand,
  DescribeInternetGatewaysCommand,
  DescribeNetworkInterfacesCommand,
  DescribeRouteTablesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeVpcsCommand,
  EC2Client,
  EC2ServiceException,
  RunInstancesCommand,
  TerminateInstancesCommand,
  type Filter,
  type IpPermission,
} from "@aws-sdk/client-ec2";
import { IMAGES } from "../../../lib/ec2/model/image-catalogue.ts";
import { startOrchestra, type OrchestraProcess } from "../helpers/orchestra-process.ts";

const MODEL = "4a1b6a2e-8f51-4e3c-9d2f-1b7c0c2f5e11";
const CONTROLLER = "9e0c1d3f-2a4b-4c5d-8e6f-7a8b9c0d1e2f";
const IMAGE = IMAGES.find((i) => i.name.includes("jammy") && i.architecture === "x86_64")!.imageId;

let orchestra: OrchestraProcess;
let ec2: EC2Client;

beforeAll(async () => {
  orchestra = await startOrchestra();
  await orchestra.addMachines(2, { cpus: 4, memoryMib: 16384, diskGib: 200, zone: "default" });
  const key = await orchestra.createCredentials("juju");
  // Juju's client: static credentials, the region from its cloud definition, standard retries.
  ec2 = new EC2Client({ endpoint: orchestra.endpoint, region: orchestra.region, credentials: { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey } });
});
afterAll(async () => {
  ec2?.destroy();
  await orchestra?.stop();
});

async function errorName(promise: Promise<unknown>): Promise<string | undefined> {
  return promise.then(
    () => undefined,
    (e: unknown) => (e instanceof EC2ServiceException ? e.name : `not an EC2 error: ${String(e)}`),
  );
}

/** Juju's "ensure group": look it up by vpc-id and group-name, create it when missing. */
async function ensureGroup(vpcId: string, name: string): Promise<string> {
  const found = await ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: "vpc-id", Values: [vpcId] }, { Name: "group-name", Values: [name] }] }));
  if (found.SecurityGroups?.length) return found.SecurityGroups[0]!.GroupId!;
  const created = await ec2.send(new CreateSecurityGroupCommand({ VpcId: vpcId, GroupName: name, Description: "juju group" }));
  return created.GroupId!;
}

/** Juju's rules: ssh and the API port from anywhere, everything from the group itself. */
function jujuRules(groupId: string): IpPermission[] {
  const self = [{ GroupId: groupId }];
  return [
    { IpProtocol: "tcp", FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: "0.0.0.0/0" }] },
    { IpProtocol: "tcp", FromPort: 17070, ToPort: 17070, IpRanges: [{ CidrIp: "0.0.0.0/0" }] },
    { IpProtocol: "tcp", FromPort: 0, ToPort: 65535, UserIdGroupPairs: self },
    { IpProtocol: "udp", FromPort: 0, ToPort: 65535, UserIdGroupPairs: self },
    { IpProtocol: "icmp", FromPort: -1, ToPort: -1, UserIdGroupPairs: self },
  ];
}

async function startInstance(machineId: string, groups: string[], subnetId: string, zone: string, isController: boolean): Promise<string> {
  const userData = Buffer.from(`#cloud-config\nhostname: juju-machine-${machineId}\nssh_authorized_keys: [ssh-ed25519 AAAA... juju-client-key]\n`).toString("base64");
  const run = await ec2.send(
    new RunInstancesCommand({
      ImageId: IMAGE,
      MinCount: 1,
      MaxCount: 1,
      UserData: userData,
      InstanceType: "m5.large",
      SecurityGroupIds: groups,
      BlockDeviceMappings: [{ DeviceName: "/dev/sda1", Ebs: { VolumeSize: 32, VolumeType: "gp2", DeleteOnTermination: true } }],
      Placement: { AvailabilityZone: zone },
      SubnetId: subnetId,
    }),
  );
  const instanceId = run.Instances![0]!.InstanceId!;
  const tags = [
    { Key: "Name", Value: `juju-default-machine-${machineId}` },
    { Key: "juju-model-uuid", Value: MODEL },
    { Key: "juju-controller-uuid", Value: CONTROLLER },
    ...(isController ? [{ Key: "juju-is-controller", Value: "true" }] : []),
  ];
  await ec2.send(new CreateTagsCommand({ Resources: [instanceId], Tags: tags }));
  return instanceId;
}

describe("Juju's EC2 provider against orchestra serve", () => {
  it("bootstraps a controller, adds a machine, and tears both down", async () => {
    // 1. Credential check, and a bad key is "credential not valid" (AuthFailure).
    await ec2.send(new DescribeAccountAttributesCommand({}));
    const stranger = new EC2Client({ endpoint: orchestra.endpoint, region: orchestra.region, credentials: { accessKeyId: "AKIAAAAAAAAAAAAAAAAA", secretAccessKey: "x" }, maxAttempts: 1 });
    expect(await errorName(stranger.send(new DescribeAccountAttributesCommand({})))).toBe("AuthFailure");
    stranger.destroy();

    // 2. Zones of the region; only "available" ones count.
    const zones = (await ec2.send(new DescribeAvailabilityZonesCommand({ Filters: [{ Name: "region-name", Values: [orchestra.region] }] }))).AvailabilityZones!;
    const zoneNames = zones.filter((z) => z.State === "available").map((z) => z.ZoneName!);
    expect(zoneNames).toContain("default");

    // 3. Instance type offerings in those zones, following NextToken, then the types in pages of 100.
    const offered = new Set<string>();
    let token: string | undefined;
    do {
      const page = await ec2.send(new DescribeInstanceTypeOfferingsCommand({ LocationType: "availability-zone", MaxResults: 1000, NextToken: token, Filters: [{ Name: "location", Values: zoneNames }] }));
      for (const o of page.InstanceTypeOfferings ?? []) offered.add(o.InstanceType!);
      token = page.NextToken || undefined;
    } while (token);
    expect(offered.has("m5.large")).toBe(true);
    const names = [...offered];
    const types = [];
    for (let i = 0; i < names.length; i += 100) {
      types.push(...((await ec2.send(new DescribeInstanceTypesCommand({ InstanceTypes: names.slice(i, i + 100) as never }))).InstanceTypes ?? []));
    }
    const m5 = types.find((t) => t.InstanceType === "m5.large")!;
    expect(m5).toMatchObject({ CurrentGeneration: true, VCpuInfo: { DefaultVCpus: 2 }, MemoryInfo: { SizeInMiB: 8192 }, ProcessorInfo: { SupportedArchitectures: ["x86_64"] }, NetworkInfo: { Ipv6Supported: false } });

    // 4. The default VPC and its validation: subnets, an internet gateway, a route table.
    const attribute = await ec2.send(new DescribeAccountAttributesCommand({ AttributeNames: ["default-vpc"] }));
    const vpcId = attribute.AccountAttributes![0]!.AttributeValues![0]!.AttributeValue!;
    expect(vpcId).toMatch(/^vpc-/);
    expect((await ec2.send(new DescribeVpcsCommand({ VpcIds: [vpcId] }))).Vpcs![0]!.State).toBe("available");
    const subnets = (await ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: "vpc-id", Values: [vpcId] }] }))).Subnets!;
    const subnet = subnets.find((s) => s.AvailabilityZone === "default")!;
    expect(subnet.SubnetId).toMatch(/^subnet-/);
    expect((await ec2.send(new DescribeInternetGatewaysCommand({ Filters: [{ Name: "attachment.vpc-id", Values: [vpcId] }] }))).InternetGateways).toHaveLength(1);
    const routes = (await ec2.send(new DescribeRouteTablesCommand({ Filters: [{ Name: "vpc-id", Values: [vpcId] }] }))).RouteTables!;
    expect(routes[0]!.Routes!.some((r) => r.DestinationCidrBlock === "0.0.0.0/0" && r.GatewayId?.startsWith("igw-"))).toBe(true);

    // 5. Security groups: the model group and the controller machine's group, with Juju's rules.
    const modelGroup = await ensureGroup(vpcId, `juju-${MODEL}`);
    const machine0Group = await ensureGroup(vpcId, `juju-${MODEL}-0`);
    expect(await ensureGroup(vpcId, `juju-${MODEL}`)).toBe(modelGroup);
    expect(await errorName(ec2.send(new CreateSecurityGroupCommand({ VpcId: vpcId, GroupName: `juju-${MODEL}`, Description: "juju group" })))).toBe("InvalidGroup.Duplicate");
    await ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: modelGroup, IpPermissions: jujuRules(modelGroup) }));
    // Juju re-applies rules on every start and tolerates the duplicate.
    expect(await errorName(ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: modelGroup, IpPermissions: jujuRules(modelGroup) })))).toBe("InvalidPermission.Duplicate");
    const described = (await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [modelGroup] }))).SecurityGroups![0]!;
    expect(described.IpPermissions).toHaveLength(5);
    expect(described.IpPermissions!.find((p) => p.FromPort === 22)!.IpRanges).toEqual([{ CidrIp: "0.0.0.0/0" }]);
    expect(described.IpPermissions!.find((p) => p.IpProtocol === "icmp")!.UserIdGroupPairs![0]!.GroupId).toBe(modelGroup);

    // 6. The controller: RunInstances with user data and two groups, then the juju-* tags.
    const controller = await startInstance("0", [modelGroup, machine0Group], subnet.SubnetId!, "default", true);

    // 7. Juju's three ways of listing instances.
    const list = async (filters: Filter[], ids?: string[]) =>
      ((await ec2.send(new DescribeInstancesCommand({ Filters: filters, InstanceIds: ids }))).Reservations ?? []).flatMap((r) => r.Instances!);
    const controllers = await list([
      { Name: "instance-state-name", Values: ["pending", "running"] },
      { Name: "tag:juju-is-controller", Values: ["true"] },
      { Name: "tag:juju-controller-uuid", Values: [CONTROLLER] },
    ]);
    expect(controllers.map((i) => i.InstanceId)).toEqual([controller]);
    expect(controllers[0]!.State!.Name).toBe("running");
    expect(controllers[0]!.SecurityGroups!.map((g) => g.GroupId)).toEqual([modelGroup, machine0Group]);
    expect(controllers[0]!.BlockDeviceMappings![0]!.Ebs!.VolumeId).toMatch(/^vol-/);

    // 8. add-machine: a second instance in its own group.
    const machine1Group = await ensureGroup(vpcId, `juju-${MODEL}-1`);
    const machine1 = await startInstance("1", [modelGroup, machine1Group], subnet.SubnetId!, "default", false);
    const byIds = await list([{ Name: "instance-state-name", Values: ["pending", "running"] }, { Name: "instance-id", Values: [controller, machine1] }, { Name: "tag:juju-model-uuid", Values: [MODEL] }]);
    expect(byIds.map((i) => i.InstanceId).sort()).toEqual([controller, machine1].sort());
    const all = await list([{ Name: "instance-state-name", Values: ["rebooting", "pending", "running", "stopping", "stopped"] }, { Name: "instance.group-id", Values: [modelGroup] }]);
    expect(all).toHaveLength(2);
    const nics = (await ec2.send(new DescribeNetworkInterfacesCommand({ Filters: [{ Name: "attachment.instance-id", Values: [machine1] }] }))).NetworkInterfaces!;
    expect(nics).toHaveLength(1);
    expect(nics[0]!.Attachment!.InstanceId).toBe(machine1);

    // 9. No capacity left: Juju would try another zone on this error.
    // (One attempt: the SDK's standard retries would only delay the same answer.)
    const once = new EC2Client({ endpoint: orchestra.endpoint, region: orchestra.region, credentials: await ec2.config.credentials(), maxAttempts: 1 });
    expect(await errorName(once.send(new RunInstancesCommand({ ImageId: IMAGE, MinCount: 1, MaxCount: 1, InstanceType: "m5.large" })))).toBe("InsufficientInstanceCapacity");
    once.destroy();

    // 10. A machine group cannot go while its instance lives.
    expect(await errorName(ec2.send(new DeleteSecurityGroupCommand({ GroupId: machine1Group })))).toBe("DependencyViolation");

    // 11. destroy-controller: terminate, confirm, delete per-machine groups (retrying), then the model group.
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [controller, machine1] }));
    const gone = await list([{ Name: "instance-state-name", Values: ["shutting-down", "terminated"] }, { Name: "instance-id", Values: [controller, machine1] }]);
    expect(gone.map((i) => i.State!.Name)).toEqual(["terminated", "terminated"]);
    for (const group of [machine0Group, machine1Group, modelGroup]) {
      let deleted = false;
      for (let attempt = 0; attempt < 30 && !deleted; attempt++) {
        const outcome = await errorName(ec2.send(new DeleteSecurityGroupCommand({ GroupId: group })));
        deleted = outcome === undefined || outcome === "InvalidGroup.NotFound";
        if (!deleted) expect(outcome).toBe("DependencyViolation");
      }
      expect(deleted).toBe(true);
    }
    expect(await errorName(ec2.send(new DeleteSecurityGroupCommand({ GroupId: modelGroup })))).toBe("InvalidGroup.NotFound");
    const remaining = (await ec2.send(new DescribeSecurityGroupsCommand({}))).SecurityGroups!.map((g) => g.GroupName);
    expect(remaining).toEqual(["default"]);
  });
});
