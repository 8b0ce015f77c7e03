/**
 * An image knows the memory it needs, and RunInstances never allocates a machine with less:
 * the caller gets InsufficientInstanceCapacity (at once: a status no SDK retries) naming the
 * image's need, even where the instance type asks for less.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RunInstancesCommand, type EC2Client } from "@aws-sdk/client-ec2";
import type { Image } from "../../../lib/ec2/model/image-catalogue.ts";
import { startEc2Harness, type Ec2Harness } from "../helpers/ec2-harness.ts";

const BUILT: Image = {
  imageId: "ami-0fedcba9876543210",
  name: "debian-12-cloud",
  description: "built by orchestra images build-os",
  debianArchitecture: "amd64",
  architecture: "x86_64",
  creationDate: "2026-01-01T00:00:00.000Z",
  deployable: true,
  minDiskBytes: 1266 * 1024 ** 2,
  minMemoryMib: 2048,
};

let harness: Ec2Harness;
let client: EC2Client;
beforeAll(async () => {
  harness = await startEc2Harness({ images: async () => [BUILT] });
  client = await harness.client("alice");
  // Fits t2.micro (1 CPU, 1 GiB) and the image's disk, but not the image's memory; the cheapest, so chosen first were memory not checked.
  await harness.addMachines(1, { cpus: 1, memoryMib: 1024, diskGib: 4 });
});
afterAll(() => harness.close());

describe("RunInstances and the image's memory need", () => {
  it("refuses a machine with less memory than the image needs, naming the need, in one request", async () => {
    const error = await client.send(new RunInstancesCommand({ ImageId: BUILT.imageId, InstanceType: "t2.micro", MinCount: 1, MaxCount: 1 })).catch((e: Error & { $metadata?: { attempts?: number; httpStatusCode?: number } }) => e);
    expect(error).toMatchObject({ name: "InsufficientInstanceCapacity" });
    expect((error as Error).message).toMatch(/image ami-0fedcba9876543210 \(debian-12-cloud\) needs a disk of at least 2 GiB \(1266 MiB\) and 2048 MiB of memory/);
    expect((error as { $metadata: { attempts: number } }).$metadata.attempts).toBe(1);
    expect(await harness.services.inventory.listInstances("alice")).toEqual([]);
  });

  it("chooses a machine with memory enough once one is ready", async () => {
    const [big] = await harness.addMachines(1, { cpus: 2, memoryMib: 2048, diskGib: 4 });
    const run = await client.send(new RunInstancesCommand({ ImageId: BUILT.imageId, InstanceType: "t2.micro", MinCount: 1, MaxCount: 1 }));
    expect((await harness.services.inventory.getInstance(run.Instances![0]!.InstanceId!)).systemId).toBe(big);
  });
});
