/**
 * An image knows the disk it needs (its disk image file's size), and RunInstances never
 * allocates a machine too small for it: the caller gets InsufficientInstanceCapacity naming
 * the image's need, and a machine large enough is chosen when one is ready.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RunInstancesCommand, type EC2Client } from "@aws-sdk/client-ec2";
import type { Image } from "../../../lib/ec2/model/image-catalogue.ts";
import { startEc2Harness, type Ec2Harness } from "../helpers/ec2-harness.ts";

const MIB = 1024 ** 2;
const BUILT: Image = {
  imageId: "ami-0123456789abcdef0",
  name: "debian-13-amd64",
  description: "built by orchestra images build-os",
  debianArchitecture: "amd64",
  architecture: "x86_64",
  creationDate: "2026-01-01T00:00:00.000Z",
  deployable: true,
  // The size of the image the lab run wrote: 1,136 MiB.
  minDiskBytes: 1136 * MIB,
};

let harness: Ec2Harness;
let client: EC2Client;
beforeAll(async () => {
  harness = await startEc2Harness({ images: async () => [BUILT] });
  client = await harness.client("alice");
  // The smallest, cheapest machine has a 1 GiB disk: the allocator would pick it first.
  await harness.addMachines(1, { cpus: 1, memoryMib: 1024, diskGib: 1 });
});
afterAll(() => harness.close());

describe("RunInstances and the image's disk need", () => {
  it("refuses a machine too small for the image, naming the need", async () => {
    const error = await client.send(new RunInstancesCommand({ ImageId: BUILT.imageId, InstanceType: "t2.micro", MinCount: 1, MaxCount: 1 })).catch((e: Error) => e);
    expect(error).toMatchObject({ name: "InsufficientInstanceCapacity" });
    expect((error as Error).message).toMatch(/image ami-0123456789abcdef0 \(debian-13-amd64\) needs a disk of at least 2 GiB \(1136 MiB\)/);
  });

  it("chooses a machine large enough once one is ready", async () => {
    const [big] = await harness.addMachines(1, { cpus: 2, memoryMib: 2048, diskGib: 4 });
    const run = await client.send(new RunInstancesCommand({ ImageId: BUILT.imageId, InstanceType: "t2.micro", MinCount: 1, MaxCount: 1 }));
    const instanceId = run.Instances![0]!.InstanceId!;
    expect((await harness.services.inventory.getInstance(instanceId)).systemId).toBe(big);
  });
});
