import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CreateTagsCommand,
  DescribeImagesCommand,
  DescribeInstanceStatusCommand,
  DescribeInstancesCommand,
  EC2Client,
  EC2ServiceException,
  GetConsoleOutputCommand,
  RebootInstancesCommand,
  RunInstancesCommand,
  StartInstancesCommand,
  StopInstancesCommand,
  TerminateInstancesCommand,
  paginateDescribeInstances,
} from "@aws-sdk/client-ec2";
import { IMAGES } from "../../../lib/ec2/model/image-catalogue.ts";
import { startEc2Harness, storeSnapshot, type Ec2Harness } from "../helpers/ec2-harness.ts";

const AMD64 = IMAGES.find((i) => i.name.includes("noble") && i.architecture === "x86_64")!.imageId;
const ARM64 = IMAGES.find((i) => i.name.includes("noble") && i.architecture === "arm64")!.imageId;

let harness: Ec2Harness;
let alice: EC2Client;
let bob: EC2Client;

beforeAll(async () => {
  harness = await startEc2Harness();
  alice = await harness.client("alice");
  bob = await harness.client("bob");
  await harness.addMachines(12, { cpus: 4, memoryMib: 8192, zone: "default" });
  await harness.addMachines(2, { cpus: 4, memoryMib: 8192, zone: "rack-2", architecture: "arm64" });
});
afterAll(() => harness.close());

async function failure(promise: Promise<unknown>): Promise<EC2ServiceException> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(EC2ServiceException);
  return error as EC2ServiceException;
}

describe("RunInstances and DescribeInstances through the AWS SDK", () => {
  let first: string;

  it("launches an instance with user data and tags, pending→running at once on fake machines", async () => {
    const userData = Buffer.from("#cloud-config\nruncmd: [echo hi]\n").toString("base64");
    const run = await alice.send(
      new RunInstancesCommand({
        ImageId: AMD64,
        InstanceType: "t3.medium",
        MinCount: 1,
        MaxCount: 1,
        UserData: userData,
        TagSpecifications: [{ ResourceType: "instance", Tags: [{ Key: "Name", Value: "web-1" }] }],
      }),
    );
    const instance = run.Instances![0]!;
    first = instance.InstanceId!;
    expect(first).toMatch(/^i-[0-9a-f]{17}$/);
    expect(run.ReservationId).toMatch(/^r-[0-9a-f]{17}$/);
    expect(run.OwnerId).toMatch(/^\d{12}$/);
    expect(instance.State).toEqual({ Code: 16, Name: "running" });
    expect(instance.Tags).toEqual([{ Key: "Name", Value: "web-1" }]);
    expect(instance.Placement?.AvailabilityZone).toBe("default");
    expect(instance.Architecture).toBe("x86_64");
    expect(instance.SecurityGroups?.map((g) => g.GroupName)).toEqual(["default"]);
    const machines = await harness.services.inventory.listMachines({ status: "deployed" });
    expect(machines).toHaveLength(1);
    const stored = await harness.services.db.get<{ user_data: string }>("SELECT user_data FROM ec2_instances WHERE instance_id = $1", [first]);
    // Sealed at rest with the data directory's key (docs/boot.md, "Secrets at rest"), and unchanged inside.
    expect(stored?.user_data).not.toContain(userData);
    expect(harness.services.db.secrets.open(stored!.user_data, `instance:${first}:user-data`)).toBe(userData);
  });

  it("launches up to MaxCount in one reservation and matches the image's architecture", async () => {
    const run = await alice.send(new RunInstancesCommand({ ImageId: ARM64, MinCount: 1, MaxCount: 5 }));
    // Only two arm64 machines exist: MinCount is met, so two launch.
    expect(run.Instances?.map((i) => [i.AmiLaunchIndex, i.Architecture, i.Placement?.AvailabilityZone])).toEqual([
      [0, "arm64", "rack-2"],
      [1, "arm64", "rack-2"],
    ]);
  });

  it("is all-or-nothing: MinCount above capacity launches nothing and changes nothing", async () => {
    const before = await storeSnapshot(harness.services);
    const error = await failure(alice.send(new RunInstancesCommand({ ImageId: AMD64, MinCount: 50, MaxCount: 50 })));
    expect(error.name).toBe("InsufficientInstanceCapacity");
    expect(error.message).toContain("Availability Zone");
    expect(await storeSnapshot(harness.services)).toBe(before);
  });

  it("refuses an unknown image, key pair, group, subnet and zone, changing nothing", async () => {
    const before = await storeSnapshot(harness.services);
    expect((await failure(alice.send(new RunInstancesCommand({ ImageId: "ami-0123456789abcdef0", MinCount: 1, MaxCount: 1 })))).name).toBe("InvalidAMIID.NotFound");
    expect((await failure(alice.send(new RunInstancesCommand({ ImageId: "ami-nope", MinCount: 1, MaxCount: 1 })))).name).toBe("InvalidAMIID.Malformed");
    expect((await failure(alice.send(new RunInstancesCommand({ ImageId: AMD64, MinCount: 1, MaxCount: 1, KeyName: "missing" })))).name).toBe("InvalidKeyPair.NotFound");
    expect((await failure(alice.send(new RunInstancesCommand({ ImageId: AMD64, MinCount: 1, MaxCount: 1, SecurityGroupIds: ["sg-0123456789abcdef0"] })))).name).toBe("InvalidGroup.NotFound");
    expect((await failure(alice.send(new RunInstancesCommand({ ImageId: AMD64, MinCount: 1, MaxCount: 1, SubnetId: "subnet-0123456789abcdef0" })))).name).toBe("InvalidSubnetID.NotFound");
    expect((await failure(alice.send(new RunInstancesCommand({ ImageId: AMD64, MinCount: 1, MaxCount: 1, Placement: { AvailabilityZone: "mars" } })))).name).toBe("InvalidParameterValue");
    expect((await failure(alice.send(new RunInstancesCommand({ ImageId: AMD64, MinCount: 1, MaxCount: 1, InstanceType: "x9.huge" as never })))).name).toBe("InvalidInstanceType");
    expect((await failure(alice.send(new RunInstancesCommand({ ImageId: AMD64, MinCount: 2, MaxCount: 1 })))).name).toBe("InvalidParameterValue");
    expect(await storeSnapshot(harness.services)).toBe(before);
  });

  it("answers DryRun with DryRunOperation and launches nothing", async () => {
    const before = await storeSnapshot(harness.services);
    const error = await failure(alice.send(new RunInstancesCommand({ ImageId: AMD64, MinCount: 1, MaxCount: 1, DryRun: true })));
    expect(error.name).toBe("DryRunOperation");
    expect(error.$metadata.httpStatusCode).toBe(412);
    expect(await storeSnapshot(harness.services)).toBe(before);
  });

  it("honours ClientToken: a retry returns the same reservation; other parameters are a mismatch", async () => {
    const a = await alice.send(new RunInstancesCommand({ ImageId: AMD64, MinCount: 1, MaxCount: 1, ClientToken: "token-1" }));
    const b = await alice.send(new RunInstancesCommand({ ImageId: AMD64, MinCount: 1, MaxCount: 1, ClientToken: "token-1" }));
    expect(b.ReservationId).toBe(a.ReservationId);
    expect(b.Instances?.map((i) => i.InstanceId)).toEqual(a.Instances?.map((i) => i.InstanceId));
    expect(b.Instances?.[0]?.ClientToken).toBe("token-1");
    const error = await failure(alice.send(new RunInstancesCommand({ ImageId: AMD64, MinCount: 1, MaxCount: 1, ClientToken: "token-1", InstanceType: "t2.micro" })));
    expect(error.name).toBe("IdempotentParameterMismatch");
  });

  it("filters by state, type, zone, tag, tag-key, group id and image, and 404s a bad id", async () => {
    const ids = async (filters: { Name: string; Values: string[] }[]) =>
      ((await alice.send(new DescribeInstancesCommand({ Filters: filters }))).Reservations ?? []).flatMap((r) => r.Instances!.map((i) => i.InstanceId!)).sort();
    expect(await ids([{ Name: "tag:Name", Values: ["web-*"] }])).toEqual([first]);
    expect(await ids([{ Name: "tag-key", Values: ["Name"] }])).toEqual([first]);
    expect(await ids([{ Name: "instance-type", Values: ["t3.medium"] }])).toEqual([first]);
    expect((await ids([{ Name: "availability-zone", Values: ["rack-2"] }])).length).toBe(2);
    expect((await ids([{ Name: "image-id", Values: [ARM64] }])).length).toBe(2);
    expect((await ids([{ Name: "instance-state-name", Values: ["pending", "running"] }])).length).toBe(4);
    expect(await ids([{ Name: "instance-state-name", Values: ["stopped"] }])).toEqual([]);
    const groupId = (await alice.send(new DescribeInstancesCommand({ InstanceIds: [first] }))).Reservations![0]!.Instances![0]!.SecurityGroups![0]!.GroupId!;
    expect((await ids([{ Name: "instance.group-id", Values: [groupId] }])).length).toBe(4);
    expect((await failure(alice.send(new DescribeInstancesCommand({ InstanceIds: ["i-0123456789abcdef0"] })))).name).toBe("InvalidInstanceID.NotFound");
    expect((await failure(alice.send(new DescribeInstancesCommand({ InstanceIds: ["x-1"] })))).name).toBe("InvalidInstanceID.Malformed");
  });

  it("keeps accounts apart: another account's instance is not found and cannot be touched", async () => {
    expect((await bob.send(new DescribeInstancesCommand({}))).Reservations).toEqual([]);
    expect((await failure(bob.send(new DescribeInstancesCommand({ InstanceIds: [first] })))).name).toBe("InvalidInstanceID.NotFound");
    expect((await failure(bob.send(new TerminateInstancesCommand({ InstanceIds: [first] })))).name).toBe("InvalidInstanceID.NotFound");
    expect((await failure(bob.send(new CreateTagsCommand({ Resources: [first], Tags: [{ Key: "owned", Value: "no" }] })))).name).toBe("InvalidInstanceID.NotFound");
  });

  it("paginates with MaxResults and NextToken, and the SDK paginator sees every instance once", async () => {
    const seen: string[] = [];
    for await (const page of paginateDescribeInstances({ client: alice, pageSize: 5 }, {})) {
      expect((page.Reservations ?? []).length).toBeLessThanOrEqual(5);
      for (const r of page.Reservations ?? []) for (const i of r.Instances ?? []) seen.push(i.InstanceId!);
    }
    expect(seen.length).toBe(4);
    expect(new Set(seen).size).toBe(4);
    expect((await failure(alice.send(new DescribeInstancesCommand({ MaxResults: 5, NextToken: "garbage" })))).name).toBe("InvalidPaginationToken");
    expect((await failure(alice.send(new DescribeInstancesCommand({ MaxResults: 5, InstanceIds: [first] })))).name).toBe("InvalidParameterCombination");
  });

  it("stops, starts and reboots fake machines at once", async () => {
    const stop = await alice.send(new StopInstancesCommand({ InstanceIds: [first] }));
    expect(stop.StoppingInstances?.[0]).toMatchObject({ PreviousState: { Name: "running" }, CurrentState: { Name: "stopped", Code: 80 } });
    expect((await failure(alice.send(new RebootInstancesCommand({ InstanceIds: [first] })))).name).toBe("IncorrectInstanceState");
    const start = await alice.send(new StartInstancesCommand({ InstanceIds: [first] }));
    expect(start.StartingInstances?.[0]).toMatchObject({ PreviousState: { Name: "stopped" }, CurrentState: { Name: "running" } });
    await alice.send(new RebootInstancesCommand({ InstanceIds: [first] }));
  });

  it("reports instance status and the machine's log as console output", async () => {
    const status = await alice.send(new DescribeInstanceStatusCommand({ InstanceIds: [first] }));
    expect(status.InstanceStatuses?.[0]).toMatchObject({ InstanceId: first, InstanceState: { Name: "running" }, SystemStatus: { Status: "ok" } });
    const console = await alice.send(new GetConsoleOutputCommand({ InstanceId: first }));
    const text = Buffer.from(console.Output!, "base64").toString("utf8");
    expect(text).toContain("allocated -> deploying");
    expect(text).toContain("deploying -> deployed");
  });

  it("terminates: running→terminated on fake machines, the machine returns to ready, and it stays listed", async () => {
    const readyBefore = (await harness.services.inventory.listMachines({ status: "ready" })).length;
    const result = await alice.send(new TerminateInstancesCommand({ InstanceIds: [first] }));
    expect(result.TerminatingInstances?.[0]).toMatchObject({ InstanceId: first, PreviousState: { Code: 16, Name: "running" }, CurrentState: { Code: 48, Name: "terminated" } });
    const again = await alice.send(new TerminateInstancesCommand({ InstanceIds: [first] }));
    expect(again.TerminatingInstances?.[0]).toMatchObject({ PreviousState: { Name: "terminated" }, CurrentState: { Name: "terminated" } });
    const listed = await alice.send(new DescribeInstancesCommand({ InstanceIds: [first] }));
    expect(listed.Reservations?.[0]?.Instances?.[0]?.State?.Name).toBe("terminated");
    expect((await harness.services.inventory.listMachines({ status: "ready" })).length).toBe(readyBefore + 1);
  });

  it("refuses a terminate naming any unknown id and terminates none", async () => {
    const live = (await alice.send(new DescribeInstancesCommand({ Filters: [{ Name: "instance-state-name", Values: ["running"] }] }))).Reservations!.flatMap((r) => r.Instances!.map((i) => i.InstanceId!));
    const before = await storeSnapshot(harness.services);
    expect((await failure(alice.send(new TerminateInstancesCommand({ InstanceIds: [live[0]!, "i-0123456789abcdef0"] })))).name).toBe("InvalidInstanceID.NotFound");
    expect(await storeSnapshot(harness.services)).toBe(before);
  });

  it("lists the image catalogue", async () => {
    const images = await alice.send(new DescribeImagesCommand({ Filters: [{ Name: "architecture", Values: ["arm64"] }] }));
    expect(images.Images?.map((i) => i.ImageId)).toContain(ARM64);
    expect(images.Images?.every((i) => i.Architecture === "arm64")).toBe(true);
  });

  it("shows the caller's own image tags, and filters on them, to the caller only", async () => {
    await alice.send(new CreateTagsCommand({ Resources: [ARM64], Tags: [{ Key: "role", Value: "juju-controller" }] }));
    const mine = await alice.send(new DescribeImagesCommand({ ImageIds: [ARM64] }));
    expect(mine.Images![0]!.Tags).toEqual([{ Key: "role", Value: "juju-controller" }]);
    const tagged = await alice.send(new DescribeImagesCommand({ Filters: [{ Name: "tag:role", Values: ["juju-*"] }] }));
    expect(tagged.Images?.map((i) => i.ImageId)).toEqual([ARM64]);
    const theirs = await bob.send(new DescribeImagesCommand({ ImageIds: [ARM64] }));
    expect(theirs.Images![0]!.Tags ?? []).toEqual([]);
    expect((await bob.send(new DescribeImagesCommand({ Filters: [{ Name: "tag-key", Values: ["role"] }] }))).Images ?? []).toEqual([]);
  });
});
