/**
 * Instance rows are read as arrays and named by position (selectInstanceRows): they must be
 * exactly what the same SELECT answers as named columns, on SQLite and on PostgreSQL, for
 * instances with and without key, user data, client token, tags, power request and end, and
 * security groups (aggregated into one column) in their order.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CreateKeyPairCommand, CreateSecurityGroupCommand, RunInstancesCommand, StopInstancesCommand, TerminateInstancesCommand } from "@aws-sdk/client-ec2";
import { IMAGES } from "../../../lib/ec2/model/image-catalogue.ts";
import { loadInstances, selectInstanceRowObjects, selectInstanceRows } from "../../../lib/ec2/model/instance-records.ts";
import { startEc2Harness, type Ec2Harness } from "../helpers/ec2-harness.ts";
import { startTestPostgres, type TestPostgres } from "../../helpers/postgres.ts";

const IMAGE = IMAGES.find((i) => i.architecture === "x86_64")!.imageId;

async function launchVaried(harness: Ec2Harness): Promise<void> {
  const alice = await harness.client("alice");
  await harness.addMachines(5);
  await alice.send(new CreateKeyPairCommand({ KeyName: "ops" }));
  await alice.send(new RunInstancesCommand({ ImageId: IMAGE, MinCount: 2, MaxCount: 2, KeyName: "ops", UserData: Buffer.from("#!/bin/sh\n").toString("base64"), ClientToken: "token-1" }));
  const plain = await alice.send(new RunInstancesCommand({ ImageId: IMAGE, MinCount: 2, MaxCount: 2, DisableApiStop: true }));
  const [stopped, ended] = plain.Instances!.map((i) => i.InstanceId!);
  await alice.send(new TerminateInstancesCommand({ InstanceIds: [ended!] }));
  await alice.send(new StopInstancesCommand({ InstanceIds: [stopped!] })).catch(() => undefined);
  // Two groups named with XML's special characters, given in the order opposite to their creation.
  const first = await alice.send(new CreateSecurityGroupCommand({ GroupName: "web <tier>", Description: "w" }));
  const second = await alice.send(new CreateSecurityGroupCommand({ GroupName: "b & db, 'x'", Description: "b" }));
  await alice.send(new RunInstancesCommand({ ImageId: IMAGE, MinCount: 1, MaxCount: 1, SecurityGroupIds: [second.GroupId!, first.GroupId!], ClientToken: "grouped" }));
}

/** The grouped instance's groups come back in the order RunInstances gave them, names whole. */
async function expectGroupsInOrder(harness: Ec2Harness): Promise<void> {
  const instances = await loadInstances(harness.services.db, { account: "alice", now: new Date() });
  const grouped = instances.find((i) => i.clientToken === "grouped")!;
  expect(grouped.groups.map((g) => g.groupName)).toEqual(["b & db, 'x'", "web <tier>"]);
  expect(grouped.groups.every((g) => /^sg-[0-9a-f]{17}$/.test(g.groupId))).toBe(true);
  // Every other instance has its account's default group, by name.
  for (const other of instances.filter((i) => i !== grouped)) expect(other.groups.map((g) => g.groupName)).toEqual(["default"]);
}

async function expectSameBothWays(harness: Ec2Harness): Promise<void> {
  const where = "WHERE e.account = $1 ORDER BY e.instance_id";
  const arrays = await selectInstanceRows(harness.services.db, where, ["alice"]);
  const objects = await selectInstanceRowObjects(harness.services.db, where, ["alice"]);
  expect(arrays).toHaveLength(5);
  expect(arrays).toEqual(objects);
  // The varied cases are there: a key, sealed user data, a token, an ended instance.
  expect(arrays.some((r) => r.key_name === "ops" && r.user_data !== null && r.client_token === "token-1")).toBe(true);
  expect(arrays.some((r) => r.ended_at !== null)).toBe(true);
}

describe("instance rows read as arrays", () => {
  let harness: Ec2Harness;
  beforeAll(async () => {
    harness = await startEc2Harness();
    await launchVaried(harness);
  });
  afterAll(() => harness?.close());

  it("equal the rows read with named columns (SQLite)", async () => {
    await expectSameBothWays(harness);
  });

  it("carry each instance's security groups in order (SQLite)", async () => {
    await expectGroupsInOrder(harness);
  });
});

describe("instance rows read as arrays on PostgreSQL", () => {
  let server: TestPostgres;
  let harness: Ec2Harness;
  beforeAll(async () => {
    server = await startTestPostgres();
    harness = await startEc2Harness({ databaseUrl: server.url });
    await launchVaried(harness);
  }, 120_000);
  afterAll(async () => {
    await harness?.close();
    await server?.stop();
  });

  it("equal the rows read with named columns (PostgreSQL)", async () => {
    await expectSameBothWays(harness);
  });

  it("carry each instance's security groups in order (PostgreSQL)", async () => {
    await expectGroupsInOrder(harness);
  });
});
