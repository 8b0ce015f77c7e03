/** An operator instance type's disk minimum shows through EC2, as the type's instance storage. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DescribeInstanceTypesCommand, type EC2Client } from "@aws-sdk/client-ec2";
import { startEc2Harness, type Ec2Harness } from "../helpers/ec2-harness.ts";

let harness: Ec2Harness;
let client: EC2Client;
beforeAll(async () => {
  harness = await startEc2Harness();
  client = await harness.client("alice");
  await harness.services.inventory.defineInstanceType({ name: "bm.storage", cpus: 8, memoryMib: 32768, diskGib: 4000 });
});
afterAll(() => harness.close());

describe("DescribeInstanceTypes", () => {
  it("shows a type's disk minimum as its instance storage, and none for a type without one", async () => {
    const types = (await client.send(new DescribeInstanceTypesCommand({ InstanceTypes: ["bm.storage", "t2.micro"] as never }))).InstanceTypes ?? [];
    const storage = types.find((t) => t.InstanceType === ("bm.storage" as never))!;
    expect(storage.InstanceStorageSupported).toBe(true);
    expect(storage.InstanceStorageInfo).toMatchObject({ TotalSizeInGB: 4000, Disks: [{ SizeInGB: 4000, Count: 1 }] });
    const micro = types.find((t) => t.InstanceType === "t2.micro")!;
    expect([micro.InstanceStorageSupported, micro.InstanceStorageInfo]).toEqual([false, undefined]);
  });
});
