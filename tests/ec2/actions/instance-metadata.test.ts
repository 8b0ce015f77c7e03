import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ImportKeyPairCommand, RunInstancesCommand, TerminateInstancesCommand, type EC2Client } from "@aws-sdk/client-ec2";
import { IMAGES } from "../../../lib/ec2/model/image-catalogue.ts";
import { StoreMetadataSource } from "../../../lib/metadata/store-metadata-source.ts";
import { startEc2Harness, type Ec2Harness } from "../helpers/ec2-harness.ts";
import { nextMac } from "../../helpers/inventory.ts";

const KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG0aVSBldkx4ItMxZl1xQ6BoZfTI5a5lXW3Ws0n9G5Dz";
let harness: Ec2Harness;
let client: EC2Client;

beforeAll(async () => {
  harness = await startEc2Harness();
  client = await harness.client();
  const machine = await harness.services.inventory.addMachine({ interfaces: [{ mac: nextMac(), boot: true }], cpus: 2, memoryMib: 4096, hardware: { ip_address: "10.20.0.50" }, power: { type: "fake" } });
  await harness.services.inventory.accept(machine.systemId);
});
afterAll(() => harness.close());

describe("RunInstances and the metadata service", () => {
  it("hands the node its key and its user data byte for byte, until it is terminated", async () => {
    await client.send(new ImportKeyPairCommand({ KeyName: "ops", PublicKeyMaterial: Buffer.from(`${KEY} ops@desk`) }));
    const userData = Buffer.from([0x23, 0x21, 0x00, 0xff, 0x0a, 0xc3, 0xa9]);
    const run = await client.send(new RunInstancesCommand({ ImageId: IMAGES[0]!.imageId, MinCount: 1, MaxCount: 1, KeyName: "ops", UserData: userData.toString("base64"), InstanceType: "t3.medium" }));
    const instance = run.Instances![0]!;
    expect(instance.PrivateIpAddress).toBe("10.20.0.50");
    const source = new StoreMetadataSource(harness.services.db);
    const metadata = await source.findByAddress("10.20.0.50");
    expect(metadata).toMatchObject({ instanceId: instance.InstanceId, amiId: IMAGES[0]!.imageId, instanceType: "t3.medium", availabilityZone: "default", region: harness.region, publicKeys: [{ name: "ops", openssh: KEY }] });
    expect(Buffer.from(metadata!.userData!).equals(userData)).toBe(true);
    // The identity document names the owner as EC2 does: the same 12-digit number.
    expect(run.OwnerId).toMatch(/^\d{12}$/);
    expect(metadata!.accountId).toBe(run.OwnerId);
    await client.send(new TerminateInstancesCommand({ InstanceIds: [instance.InstanceId!] }));
    expect(await source.findByAddress("10.20.0.50")).toBeUndefined();
  });

  it("refuses a key name the metadata service could not carry", async () => {
    const error = await client.send(new ImportKeyPairCommand({ KeyName: "my key", PublicKeyMaterial: Buffer.from(KEY) })).then(() => undefined, (e: Error) => e);
    expect(error?.name).toBe("InvalidParameterValue");
  });
});
