/**
 * DescribeInstances as it streams: filters narrowed in SQL (tags, state, zone, ids and other
 * columns) must answer exactly what EC2's filter rules say, on the cases where SQL and those
 * rules part (SQLite's LIKE ignores case and reads `_` and `%` as wildcards), and paging
 * must hold whole reservations across the server's read batches (three instances per batch
 * here, so every answer crosses batch edges).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CreateTagsCommand, DescribeInstancesCommand, EC2Client, RunInstancesCommand, StopInstancesCommand, TerminateInstancesCommand } from "@aws-sdk/client-ec2";
import { IMAGES } from "../../../lib/ec2/model/image-catalogue.ts";
import { loadInstances, scanInstances } from "../../../lib/ec2/model/instance-records.ts";
import { startEc2Harness, type Ec2Harness } from "../helpers/ec2-harness.ts";

const AMD64 = IMAGES.find((i) => i.name.includes("noble") && i.architecture === "x86_64")!.imageId;

let harness: Ec2Harness;
let alice: EC2Client;
/** Reservations in launch order; each holds its instance ids in launch-index order. */
const reservations: string[][] = [];

async function launch(count: number, zone: string, tags: Record<string, string>): Promise<string[]> {
  const run = await alice.send(
    new RunInstancesCommand({
      ImageId: AMD64,
      InstanceType: "t2.micro",
      MinCount: count,
      MaxCount: count,
      Placement: { AvailabilityZone: zone },
      TagSpecifications: Object.keys(tags).length ? [{ ResourceType: "instance", Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }] : undefined,
    }),
  );
  const ids = run.Instances!.map((i) => i.InstanceId!);
  reservations.push(ids);
  return ids;
}

beforeAll(async () => {
  harness = await startEc2Harness({ instanceScanBatch: 3 });
  alice = await harness.client("alice");
  await harness.addMachines(14, { cpus: 4, memoryMib: 8192, zone: "default" });
  await harness.addMachines(4, { cpus: 4, memoryMib: 8192, zone: "rack-2" });
  await launch(2, "default", { Name: "web-1", env: "prod" });
  await launch(1, "default", { Name: "WEB-2", env: "stage" });
  await launch(1, "default", { Name: "web_3" });
  await launch(1, "default", { Name: "webX3", "team%": "a" });
  await launch(1, "default", { Name: "web%4", teamX: "b" });
  await launch(4, "rack-2", { env: "prod" });
  await launch(3, "default", {});
  await launch(2, "default", { Name: "gone" });
  await alice.send(new StopInstancesCommand({ InstanceIds: [reservations[2]![0]!] }));
  await alice.send(new TerminateInstancesCommand({ InstanceIds: reservations[7]! }));
  // One instance of a reservation tagged apart from its sibling: filters split reservations.
  await alice.send(new CreateTagsCommand({ Resources: [reservations[0]![1]!], Tags: [{ Key: "role", Value: "db" }] }));
});
afterAll(() => harness.close());

async function listed(filters: { Name: string; Values: string[] }[]): Promise<string[]> {
  const answer = await alice.send(new DescribeInstancesCommand({ Filters: filters }));
  return (answer.Reservations ?? []).flatMap((r) => r.Instances!.map((i) => i.InstanceId!)).sort();
}

const sorted = (ids: string[]) => [...ids].sort();

describe("DescribeInstances filters narrowed in SQL", () => {
  it("matches tag values with EC2's wildcards exactly: case, and `_` and `%` as plain characters", async () => {
    expect(await listed([{ Name: "tag:Name", Values: ["web-*"] }])).toEqual(sorted(reservations[0]!));
    expect(await listed([{ Name: "tag:Name", Values: ["WEB-?"] }])).toEqual(sorted(reservations[1]!));
    expect(await listed([{ Name: "tag:Name", Values: ["web_3"] }])).toEqual(sorted(reservations[2]!));
    expect(await listed([{ Name: "tag:Name", Values: ["web_*"] }])).toEqual(sorted(reservations[2]!));
    expect(await listed([{ Name: "tag:Name", Values: ["web%4"] }])).toEqual(sorted(reservations[4]!));
    expect(await listed([{ Name: "tag:Name", Values: ["*%*"] }])).toEqual(sorted(reservations[4]!));
    expect(await listed([{ Name: "tag:Name", Values: ["w?b\\*"] }])).toEqual([]);
  });

  it("ORs a filter's values, ANDs filters, and keeps only the matching members of a reservation", async () => {
    expect(await listed([{ Name: "tag:env", Values: ["prod", "stage"] }])).toEqual(sorted([...reservations[0]!, ...reservations[1]!, ...reservations[5]!]));
    expect(await listed([{ Name: "tag:env", Values: ["prod"] }, { Name: "availability-zone", Values: ["rack-?"] }])).toEqual(sorted(reservations[5]!));
    expect(await listed([{ Name: "tag:role", Values: ["db"] }])).toEqual([reservations[0]![1]!]);
    expect(await listed([{ Name: "tag:role", Values: ["db"] }, { Name: "tag:env", Values: ["stage"] }])).toEqual([]);
  });

  it("knows tag-key and tag-value, wildcards included", async () => {
    expect(await listed([{ Name: "tag-key", Values: ["team%"] }])).toEqual(sorted(reservations[3]!));
    expect(await listed([{ Name: "tag-key", Values: ["team?"] }])).toEqual(sorted([...reservations[3]!, ...reservations[4]!]));
    expect(await listed([{ Name: "tag-value", Values: ["STAGE"] }])).toEqual([]);
    expect(await listed([{ Name: "tag-value", Values: ["stage"] }])).toEqual(sorted(reservations[1]!));
  });

  it("matches zones and instance ids exactly, with wildcards and case as EC2 has them", async () => {
    expect(await listed([{ Name: "availability-zone", Values: ["RACK-2"] }])).toEqual([]);
    expect(await listed([{ Name: "placement.availability-zone", Values: ["rack-2"] }])).toEqual(sorted(reservations[5]!));
    const one = reservations[6]![1]!;
    expect(await listed([{ Name: "instance-id", Values: [one, reservations[1]![0]!] }])).toEqual(sorted([one, reservations[1]![0]!]));
    expect(await listed([{ Name: "instance-id", Values: [`${one.slice(0, -1)}?`] }])).toEqual([one]);
    expect(await listed([{ Name: "instance-id", Values: [one.toUpperCase().replace("I-", "i-")] }])).toEqual(/[a-f]/.test(one.slice(2)) ? [] : [one]);
  });

  it("answers states from the machine's state and power, terminated included", async () => {
    const live = reservations.slice(0, 7).flat();
    const stopped = reservations[2]![0]!;
    expect(await listed([{ Name: "instance-state-name", Values: ["running"] }])).toEqual(sorted(live.filter((id) => id !== stopped)));
    expect(await listed([{ Name: "instance-state-name", Values: ["stopped"] }])).toEqual([stopped]);
    expect(await listed([{ Name: "instance-state-name", Values: ["stop*"] }])).toEqual([stopped]);
    expect(await listed([{ Name: "instance-state-code", Values: ["80"] }])).toEqual([stopped]);
    expect(await listed([{ Name: "instance-state-name", Values: ["terminated"] }])).toEqual(sorted(reservations[7]!));
    expect(await listed([{ Name: "instance-state-name", Values: ["nonsense"] }])).toEqual([]);
  });

  it("pages whole reservations across batch edges, with a filter, each instance once", async () => {
    const filter = [{ Name: "instance-state-name", Values: ["running", "stopped"] }];
    const seen: string[] = [];
    let pages = 0;
    let token: string | undefined;
    do {
      const page = await alice.send(new DescribeInstancesCommand({ Filters: filter, MaxResults: 5, ...(token ? { NextToken: token } : {}) }));
      pages++;
      expect((page.Reservations ?? []).length).toBeLessThanOrEqual(5);
      for (const r of page.Reservations ?? []) {
        // A reservation is never cut between pages: all of its live members come together.
        const members = reservations.find((ids) => ids.includes(r.Instances![0]!.InstanceId!))!;
        expect(r.Instances!.map((i) => i.InstanceId)).toEqual(members);
        seen.push(...members);
      }
      token = page.NextToken;
    } while (token);
    expect(pages).toBe(2);
    expect(sorted(seen)).toEqual(sorted(reservations.slice(0, 7).flat()));
  });

  it("answers unfiltered as it did before streaming: every record, in reservation order", async () => {
    const all = await alice.send(new DescribeInstancesCommand({}));
    const byReservation = new Map(reservations.map((ids) => [ids[0]!, ids]));
    const shown = (all.Reservations ?? []).map((r) => r.Instances!.map((i) => i.InstanceId!));
    expect(shown.map((ids) => byReservation.get(ids[0]!))).toEqual(shown);
    const ids = (all.Reservations ?? []).map((r) => r.ReservationId!);
    expect(ids).toEqual([...ids].sort());
    // The batched read holds the same records as the whole-account read.
    const now = harness.services.now();
    const scanned = [];
    for await (const batch of scanInstances(harness.services.db, { account: "alice", now, batch: 2 })) scanned.push(...batch);
    const loaded = await loadInstances(harness.services.db, { account: "alice", now });
    expect(sorted(scanned.map((i) => i.instanceId))).toEqual(loaded.map((i) => i.instanceId));
    expect(scanned.map((i) => i.instanceId)).toEqual(shown.flat());
  });
});
