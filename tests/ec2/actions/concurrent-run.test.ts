import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EC2ServiceException, RunInstancesCommand, type EC2Client } from "@aws-sdk/client-ec2";
import { IMAGES } from "../../../lib/ec2/model/image-catalogue.ts";
import { startEc2Harness, type Ec2Harness } from "../helpers/ec2-harness.ts";

let harness: Ec2Harness;
let clients: EC2Client[];

beforeAll(async () => {
  harness = await startEc2Harness();
  clients = await Promise.all(["a", "b", "c", "d"].map((account) => harness.client(account)));
  await harness.addMachines(9);
});
afterAll(() => harness.close());

describe("concurrent RunInstances", () => {
  it("never hands one machine out twice and keeps each launch all-or-nothing", async () => {
    const outcomes = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        clients[i % clients.length]!.send(new RunInstancesCommand({ ImageId: IMAGES[0]!.imageId, MinCount: 2, MaxCount: 2 })).then(
          (r) => r.Instances!.map((x) => x.InstanceId!),
          (e: unknown) => (e as EC2ServiceException).name,
        ),
      ),
    );
    const launched = outcomes.filter((o): o is string[] => Array.isArray(o));
    const refused = outcomes.filter((o) => !Array.isArray(o));
    // Nine machines, pairs asked for: four launches fit, the rest are refused whole.
    expect(launched).toHaveLength(4);
    expect(launched.every((ids) => ids.length === 2)).toBe(true);
    expect(refused).toEqual(["InsufficientInstanceCapacity", "InsufficientInstanceCapacity", "InsufficientInstanceCapacity", "InsufficientInstanceCapacity"]);
    const machines = await harness.services.db.all<{ machine_id: string }>("SELECT machine_id FROM instances WHERE ended_at IS NULL");
    expect(new Set(machines.map((m) => m.machine_id)).size).toBe(8);
    expect((await harness.services.inventory.listMachines({ status: "ready" })).length).toBe(1);
  });
});
