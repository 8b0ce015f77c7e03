/**
 * The EC2 API on the PostgreSQL store: the same actions, through the AWS SDK, on a real
 * throwaway cluster, so the EC2 SQL is proven portable and not only on SQLite.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  CreateTagsCommand,
  DeleteSecurityGroupCommand,
  DescribeInstanceTypeOfferingsCommand,
  DescribeInstancesCommand,
  DescribeSecurityGroupsCommand,
  DescribeTagsCommand,
  EC2Client,
  EC2ServiceException,
  ImportKeyPairCommand,
  RunInstancesCommand,
  TerminateInstancesCommand,
} from "@aws-sdk/client-ec2";
import { IMAGES } from "../../../lib/ec2/model/image-catalogue.ts";
import { startEc2Harness, storeSnapshot, type Ec2Harness } from "../helpers/ec2-harness.ts";
import { startTestPostgres, type TestPostgres } from "../../helpers/postgres.ts";

const IMAGE = IMAGES.find((i) => i.architecture === "x86_64")!.imageId;

let server: TestPostgres;
let harness: Ec2Harness;
let alice: EC2Client;
let bob: EC2Client;

beforeAll(async () => {
  server = await startTestPostgres();
  harness = await startEc2Harness({ databaseUrl: server.url });
  alice = await harness.client("alice");
  bob = await harness.client("bob");
  await harness.addMachines(4, { zone: "rack-1" });
});
afterAll(async () => {
  await harness?.close();
  await server?.stop();
});

async function errorName(promise: Promise<unknown>): Promise<string | undefined> {
  return promise.then(
    () => undefined,
    (e: unknown) => (e instanceof EC2ServiceException ? e.name : `not an EC2 error: ${String(e)}`),
  );
}

describe("the EC2 API on PostgreSQL", () => {
  it("launches, filters, tags, groups, keys and terminates as on SQLite", async () => {
    const key = Buffer.from("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG0aVSBldkx4ItMxZl1xQ6BoZfTI5a5lXW3Ws0n9G5Dz pg");
    await alice.send(new ImportKeyPairCommand({ KeyName: "k", PublicKeyMaterial: key }));
    const { GroupId } = await alice.send(new CreateSecurityGroupCommand({ GroupName: "g", Description: "d" }));
    await alice.send(new AuthorizeSecurityGroupIngressCommand({ GroupId, IpPermissions: [{ IpProtocol: "tcp", FromPort: 22, ToPort: 22, UserIdGroupPairs: [{ GroupId }] }] }));
    expect(await errorName(alice.send(new AuthorizeSecurityGroupIngressCommand({ GroupId, IpPermissions: [{ IpProtocol: "tcp", FromPort: 22, ToPort: 22, UserIdGroupPairs: [{ GroupId }] }] })))).toBe("InvalidPermission.Duplicate");

    const run = await alice.send(
      new RunInstancesCommand({ ImageId: IMAGE, MinCount: 2, MaxCount: 3, KeyName: "k", SecurityGroupIds: [GroupId!], ClientToken: "pg-1", TagSpecifications: [{ ResourceType: "instance", Tags: [{ Key: "db", Value: "pg" }] }] }),
    );
    const ids = run.Instances!.map((i) => i.InstanceId!);
    expect(ids).toHaveLength(3);
    expect((await alice.send(new RunInstancesCommand({ ImageId: IMAGE, MinCount: 2, MaxCount: 3, KeyName: "k", SecurityGroupIds: [GroupId!], ClientToken: "pg-1", TagSpecifications: [{ ResourceType: "instance", Tags: [{ Key: "db", Value: "pg" }] }] }))).ReservationId).toBe(run.ReservationId);

    const before = await storeSnapshot(harness.services);
    expect(await errorName(alice.send(new RunInstancesCommand({ ImageId: IMAGE, MinCount: 2, MaxCount: 2 })))).toBe("InsufficientInstanceCapacity");
    expect(await storeSnapshot(harness.services)).toBe(before);

    await alice.send(new CreateTagsCommand({ Resources: [ids[0]!], Tags: [{ Key: "role", Value: "primary" }] }));
    const found = await alice.send(new DescribeInstancesCommand({ Filters: [{ Name: "tag:role", Values: ["prim*"] }, { Name: "instance.group-id", Values: [GroupId!] }, { Name: "instance-state-name", Values: ["running"] }] }));
    expect(found.Reservations!.flatMap((r) => r.Instances!.map((i) => i.InstanceId))).toEqual([ids[0]]);
    expect((await alice.send(new DescribeTagsCommand({ Filters: [{ Name: "key", Values: ["db"] }] }))).Tags).toHaveLength(3);
    expect((await bob.send(new DescribeInstancesCommand({}))).Reservations).toEqual([]);
    expect((await alice.send(new DescribeInstanceTypeOfferingsCommand({ LocationType: "availability-zone" }))).InstanceTypeOfferings!.length).toBeGreaterThan(0);

    expect(await errorName(alice.send(new DeleteSecurityGroupCommand({ GroupId })))).toBe("DependencyViolation");
    const terminated = await alice.send(new TerminateInstancesCommand({ InstanceIds: ids }));
    expect(terminated.TerminatingInstances!.map((t) => t.CurrentState!.Name)).toEqual(["terminated", "terminated", "terminated"]);
    await alice.send(new DeleteSecurityGroupCommand({ GroupId }));
    expect((await alice.send(new DescribeSecurityGroupsCommand({}))).SecurityGroups!.map((g) => g.GroupName)).toEqual(["default"]);
  });
});
