/**
 * The door Juju's aws provider has: a client built from a real AWS region name alone, with
 * no endpoint in its code, reaching Orchestra through the AWS SDKs' per-service endpoint
 * override `AWS_ENDPOINT_URL_EC2`. Juju uses the SDK for Go v2, which is not installed here;
 * the SDK for JavaScript v3 reads the same variable (the SDKs share the setting), so this
 * shows `orchestra serve --region us-east-1` answering a client configured the way Juju's is.
 * A guard refuses any request not addressed to loopback, so a client that ignored the
 * variable could not reach AWS.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DescribeAccountAttributesCommand, DescribeAvailabilityZonesCommand, DescribeInstancesCommand, EC2Client, RunInstancesCommand, TerminateInstancesCommand } from "@aws-sdk/client-ec2";
import { IMAGES } from "../../../lib/ec2/model/image-catalogue.ts";
import { startOrchestra, type OrchestraProcess } from "../helpers/orchestra-process.ts";

const IMAGE = IMAGES.find((i) => i.architecture === "x86_64")!.imageId;

let orchestra: OrchestraProcess;
let client: EC2Client;
const contacted = new Set<string>();

beforeAll(async () => {
  orchestra = await startOrchestra({ region: "us-east-1" });
  await orchestra.addMachines(1);
  const key = await orchestra.createCredentials("juju");
  process.env.AWS_ENDPOINT_URL_EC2 = orchestra.endpoint;
  // As Juju builds it: a region and static credentials, nothing else.
  client = new EC2Client({ region: "us-east-1", credentials: { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey }, maxAttempts: 1 });
  client.middlewareStack.add(
    (next) => async (args) => {
      const { hostname } = args.request as { hostname?: string };
      contacted.add(String(hostname));
      if (hostname !== "127.0.0.1") throw new Error(`refusing to send a request to ${hostname}: the endpoint override was not honoured`);
      return next(args);
    },
    { step: "finalizeRequest", name: "loopbackOnly", priority: "low" },
  );
});
afterAll(async () => {
  delete process.env.AWS_ENDPOINT_URL_EC2;
  client?.destroy();
  await orchestra?.stop();
});

describe("AWS_ENDPOINT_URL_EC2 with a real AWS region name", () => {
  it("carries a region-only client through Juju's calls to Orchestra", async () => {
    const attributes = await client.send(new DescribeAccountAttributesCommand({ AttributeNames: ["default-vpc"] }));
    expect(attributes.AccountAttributes![0]!.AttributeValues![0]!.AttributeValue).toMatch(/^vpc-/);
    const zones = await client.send(new DescribeAvailabilityZonesCommand({ Filters: [{ Name: "region-name", Values: ["us-east-1"] }] }));
    expect(zones.AvailabilityZones!.every((z) => z.RegionName === "us-east-1" && z.State === "available")).toBe(true);
    const run = await client.send(new RunInstancesCommand({ ImageId: IMAGE, MinCount: 1, MaxCount: 1, InstanceType: "m1.small" }));
    const id = run.Instances![0]!.InstanceId!;
    const described = await client.send(new DescribeInstancesCommand({ InstanceIds: [id] }));
    expect(described.Reservations![0]!.Instances![0]!.State!.Name).toBe("running");
    await client.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
    expect([...contacted]).toEqual(["127.0.0.1"]);
  });
});
