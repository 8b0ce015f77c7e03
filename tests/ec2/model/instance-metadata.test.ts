import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ImportKeyPairCommand, RunInstancesCommand, TerminateInstancesCommand, type EC2Client } from "@aws-sdk/client-ec2";
import { IMAGES } from "../../../lib/ec2/model/image-catalogue.ts";
import { metadataForMachine } from "../../../lib/ec2/model/instance-metadata.ts";
import { startEc2Harness, type Ec2Harness } from "../helpers/ec2-harness.ts";

let harness: Ec2Harness;
let client: EC2Client;
const KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG0aVSBldkx4ItMxZl1xQ6BoZfTI5a5lXW3Ws0n9G5Dz";

beforeAll(async () => {
  harness = await startEc2Harness();
  client = await harness.client();
  await harness.addMachines(1);
});
afterAll(() => harness.close());

describe("metadataForMachine", () => {
  it("gives a node its instance, key and byte-exact user data, and nothing once terminated", async () => {
    await client.send(new ImportKeyPairCommand({ KeyName: "ops", PublicKeyMaterial: Buffer.from(`${KEY} ops@desk`) }));
    const userData = Buffer.from([0x23, 0x21, 0x00, 0xff, 0x0a, 0xc3, 0xa9]);
    const run = await client.send(new RunInstancesCommand({ ImageId: IMAGES[0]!.imageId, MinCount: 1, MaxCount: 1, KeyName: "ops", UserData: userData.toString("base64") }));
    const instance = run.Instances![0]!;
    const [machine] = await harness.services.inventory.listMachines({ status: "deployed" });
    const metadata = await metadataForMachine(harness.services.db, machine!.systemId);
    expect(metadata).toMatchObject({ instanceId: instance.InstanceId, amiId: IMAGES[0]!.imageId, instanceType: "m1.small", hostname: machine!.hostname, availabilityZone: "default", securityGroups: ["default"] });
    expect(metadata!.publicKeys).toEqual(new Map([["ops", KEY]]));
    expect(metadata!.userData!.equals(userData)).toBe(true);
    await client.send(new TerminateInstancesCommand({ InstanceIds: [instance.InstanceId!] }));
    expect(await metadataForMachine(harness.services.db, machine!.systemId)).toBeUndefined();
  });
});
