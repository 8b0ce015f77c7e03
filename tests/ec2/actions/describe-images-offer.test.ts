/**
 * DescribeImages lists only images that can deploy on this site: a stored image with a disk
 * image file always; the release catalogue (no files) only once test-only fake machines exist,
 * since only they take it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DescribeImagesCommand, type EC2Client } from "@aws-sdk/client-ec2";
import { IMAGES, type Image } from "../../../lib/ec2/model/image-catalogue.ts";
import { startEc2Harness, type Ec2Harness } from "../helpers/ec2-harness.ts";

const BUILT: Image = {
  imageId: "ami-0123456789abcdef0",
  name: "debian-13-amd64",
  description: "built by orchestra images build-os",
  debianArchitecture: "amd64",
  architecture: "x86_64",
  creationDate: "2026-01-01T00:00:00.000Z",
  deployable: true,
};

let harness: Ec2Harness;
let client: EC2Client;
beforeAll(async () => {
  harness = await startEc2Harness({ images: async () => [BUILT] });
  client = await harness.client("alice");
});
afterAll(() => harness.close());

const listed = async () => ((await client.send(new DescribeImagesCommand({}))).Images ?? []).map((i) => i.ImageId);

describe("DescribeImages on a site", () => {
  it("with only real machines lists the built image and none of the catalogue", async () => {
    await harness.services.inventory.addMachine({ interfaces: [{ mac: "52:54:00:aa:00:01" }], power: { type: "manual", params: {} } });
    expect(await listed()).toEqual([BUILT.imageId]);
  });

  it("refuses a catalogue id there as not found, as DescribeImages does any unknown id", async () => {
    await expect(client.send(new DescribeImagesCommand({ ImageIds: [IMAGES[0]!.imageId] }))).rejects.toMatchObject({ name: "InvalidAMIID.NotFound" });
  });

  it("with fake (test-only) machines lists the catalogue too, labelled TEST ONLY", async () => {
    await harness.addMachines(1);
    const images = (await client.send(new DescribeImagesCommand({}))).Images ?? [];
    expect(images.map((i) => i.ImageId).sort()).toEqual([BUILT.imageId, ...IMAGES.map((i) => i.imageId)].sort());
    for (const image of images.filter((i) => i.ImageId !== BUILT.imageId)) expect(image.Description).toMatch(/TEST ONLY/);
  });
});
