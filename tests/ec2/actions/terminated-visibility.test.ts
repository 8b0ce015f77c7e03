import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DescribeInstancesCommand, EC2ServiceException, RunInstancesCommand, TerminateInstancesCommand, type EC2Client } from "@aws-sdk/client-ec2";
import { IMAGES } from "../../../lib/ec2/model/image-catalogue.ts";
import { TERMINATED_VISIBLE_MS } from "../../../lib/ec2/model/instance-state.ts";
import { startEc2Harness, type Ec2Harness } from "../helpers/ec2-harness.ts";

let offsetMs = 0;
let harness: Ec2Harness;
let client: EC2Client;

beforeAll(async () => {
  harness = await startEc2Harness({ modelClock: () => new Date(Date.now() + offsetMs) });
  client = await harness.client();
  await harness.addMachines(1);
});
afterAll(() => harness.close());

describe("terminated instances", () => {
  it("stay listed for an hour, as on AWS, then are gone", async () => {
    const id = (await client.send(new RunInstancesCommand({ ImageId: IMAGES[0]!.imageId, MinCount: 1, MaxCount: 1 }))).Instances![0]!.InstanceId!;
    await client.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
    offsetMs = TERMINATED_VISIBLE_MS - 60_000;
    const listed = await client.send(new DescribeInstancesCommand({}));
    expect(listed.Reservations?.[0]?.Instances?.[0]).toMatchObject({ InstanceId: id, State: { Name: "terminated", Code: 48 } });
    offsetMs = TERMINATED_VISIBLE_MS + 60_000;
    expect((await client.send(new DescribeInstancesCommand({}))).Reservations).toEqual([]);
    const error = await client.send(new DescribeInstancesCommand({ InstanceIds: [id] })).catch((e: unknown) => e);
    expect((error as EC2ServiceException).name).toBe("InvalidInstanceID.NotFound");
    // Terminating it again is still a harmless no-op, as AWS's idempotent terminate is.
    const again = await client.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
    expect(again.TerminatingInstances?.[0]?.CurrentState?.Name).toBe("terminated");
  });
});
