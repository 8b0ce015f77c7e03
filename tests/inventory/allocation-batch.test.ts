/**
 * Allocating a batch (RunInstances' MinCount..MaxCount) from one candidate read: the same
 * machines, in the same cheapest-first order, as that many single allocations; all or
 * nothing below the minimum; tags checked across candidate pages.
 */
import { describe, expect, it } from "vitest";
import { addReadyMachines, memoryInventory } from "../helpers/inventory.ts";
import type { Inventory } from "../../lib/inventory/index.ts";

async function snapshot(inventory: Inventory) {
  const machines = await inventory.listMachines();
  const events = await inventory.db.all<{ n: number }>("SELECT COUNT(*) AS n FROM machine_events");
  return { statuses: machines.map((m) => `${m.systemId}:${m.status}`), instances: (await inventory.listInstances()).length, events: Number(events[0]!.n) };
}

describe("batch allocation", () => {
  it("takes the cheapest fitting machines first, each once, each allocated with its instance and event", async () => {
    const inventory = await memoryInventory();
    const [big] = await addReadyMachines(inventory, 1, { cpus: 16, memoryMib: 65536 });
    const [small] = await addReadyMachines(inventory, 1, { cpus: 2, memoryMib: 4096 });
    const [medium] = await addReadyMachines(inventory, 1, { cpus: 4, memoryMib: 8192 });
    const batch = await inventory.db.transaction((tx) => inventory.allocateManyWithin(tx, {}, "acct", { min: 3, max: 3 }));
    expect(batch.map((a) => a.machine.systemId)).toEqual([small, medium, big]);
    expect(new Set(batch.map((a) => a.instance.instanceId)).size).toBe(3);
    for (const { instance, machine } of batch) {
      expect(machine.status).toBe("allocated");
      expect((await inventory.getMachine(machine.systemId)).status).toBe("allocated");
      expect((await inventory.getInstance(instance.instanceId)).systemId).toBe(machine.systemId);
      expect((await inventory.events(machine.systemId)).at(-1)).toMatchObject({ from: "ready", to: "allocated", reason: expect.stringContaining(instance.instanceId) });
    }
  });

  it("fills as many as there are between the minimum and the maximum", async () => {
    const inventory = await memoryInventory();
    await addReadyMachines(inventory, 3);
    const batch = await inventory.db.transaction((tx) => inventory.allocateManyWithin(tx, {}, "acct", { min: 2, max: 5 }));
    expect(batch).toHaveLength(3);
    expect(await inventory.listMachines({ status: "ready" })).toHaveLength(0);
  });

  it("fails with NO_CAPACITY naming how many fit when fewer than the minimum do, and changes nothing", async () => {
    const inventory = await memoryInventory();
    await addReadyMachines(inventory, 3);
    const before = await snapshot(inventory);
    const error = await inventory.db.transaction((tx) => inventory.allocateManyWithin(tx, {}, "acct", { min: 4, max: 6 })).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "NO_CAPACITY", details: { found: 3 }, message: expect.stringContaining("only 3 ready machines of the 4 asked for") });
    expect(await snapshot(inventory)).toEqual(before);
  });

  it("checks tags beyond the first page of candidates: cheaper untagged machines are passed over", async () => {
    const inventory = await memoryInventory();
    // 70 cheaper machines without the tag fill the first page (64) and part of the next.
    await addReadyMachines(inventory, 70, { cpus: 2, memoryMib: 2048 });
    const tagged = await addReadyMachines(inventory, 5, { cpus: 8, memoryMib: 16384, tags: ["gpu"] });
    const batch = await inventory.db.transaction((tx) => inventory.allocateManyWithin(tx, { tags: ["gpu"] }, "acct", { min: 5, max: 5 }));
    expect(batch.map((a) => a.machine.systemId).sort()).toEqual([...tagged].sort());
    expect(await inventory.listMachines({ status: "ready" })).toHaveLength(70);
  });

  it("refuses a count that is not a range of at least one, before reading anything", async () => {
    const inventory = await memoryInventory();
    await addReadyMachines(inventory, 2);
    for (const count of [{ min: 0, max: 1 }, { min: 2, max: 1 }, { min: 1.5, max: 2 }]) {
      await expect(inventory.db.transaction((tx) => inventory.allocateManyWithin(tx, {}, "acct", count))).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
    }
    expect(await inventory.listMachines({ status: "ready" })).toHaveLength(2);
  });
});
