/**
 * Allocating a batch (RunInstances' MinCount..MaxCount) from one candidate read: the same
 * machines, in the same cheapest-first order, as that many single allocations; all or
 * nothing below the minimum; tags checked across candidate pages. With `then` (RunInstances
 * deploys what it allocates) each machine moves on at once: both moves logged, its row
 * written once.
 */
import { describe, expect, it } from "vitest";
import { addReadyMachines, memoryInventory } from "../helpers/inventory.ts";
import { Inventory } from "../../lib/inventory/index.ts";
import type { SqlExecutor } from "../../lib/store/sql-database.ts";

/** `tx` with a count of the status writes of machine rows made through it. */
function countingStatusWrites(tx: SqlExecutor): { tx: SqlExecutor; writes: () => number } {
  let writes = 0;
  const counted: SqlExecutor = {
    dialect: tx.dialect,
    secrets: tx.secrets,
    all: (sql, params) => tx.all(sql, params),
    allArrays: (sql, params) => tx.allArrays(sql, params),
    get: (sql, params) => tx.get(sql, params),
    run: (sql, params) => {
      if (sql.startsWith("UPDATE machines SET status")) writes++;
      return tx.run(sql, params);
    },
  };
  return { tx: counted, writes: () => writes };
}

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
      // The machine answered is the machine stored, field for field and in the same order, though its row was read once.
      expect(JSON.stringify(machine)).toBe(JSON.stringify(await inventory.getMachine(machine.systemId)));
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

  it("moves each machine on through allocated with `then`, logging both moves and writing its row once", async () => {
    // Commissioned at once, then allocated by an inventory that leaves fake machines deploying, as real ones stay.
    const setup = await memoryInventory();
    await addReadyMachines(setup, 2);
    const inventory = new Inventory(setup.db, { fakeCompletesAtOnce: false });
    let writes = 0;
    const batch = await inventory.db.transaction(async (tx) => {
      const counting = countingStatusWrites(tx);
      const allocated = await inventory.allocateManyWithin(counting.tx, {}, "acct", { min: 2, max: 2 }, { to: "deploying", reason: (instance) => `deploying as ${instance.instanceId}` });
      writes = counting.writes();
      return allocated;
    });
    expect(writes).toBe(2);
    for (const { instance, machine } of batch) {
      expect(machine).toMatchObject({ status: "deploying", statusMessage: `deploying as ${instance.instanceId}` });
      const stored = await inventory.getMachine(machine.systemId);
      expect(stored).toMatchObject({ status: "deploying", statusMessage: machine.statusMessage, statusChangedAt: machine.statusChangedAt });
      expect((await inventory.events(machine.systemId)).slice(-2)).toMatchObject([
        { from: "ready", to: "allocated", reason: `allocated to acct as ${instance.instanceId}` },
        { from: "allocated", to: "deploying", reason: `deploying as ${instance.instanceId}` },
      ]);
      expect((await inventory.getInstance(instance.instanceId)).endedAt).toBeNull();
    }
  });

  it("finishes a test-only machine's move at once after `then` (the fake power type), still one write of its row", async () => {
    const inventory = await memoryInventory();
    await addReadyMachines(inventory, 1);
    let writes = 0;
    const [allocation] = await inventory.db.transaction(async (tx) => {
      const counting = countingStatusWrites(tx);
      const allocated = await inventory.allocateManyWithin(counting.tx, {}, "acct", { min: 1, max: 1 }, { to: "deploying", reason: () => "deploying" });
      writes = counting.writes();
      return allocated;
    });
    expect(writes).toBe(1);
    expect((await inventory.getMachine(allocation!.machine.systemId)).status).toBe("deployed");
    expect((await inventory.events(allocation!.machine.systemId)).slice(-3).map((e) => `${e.from}>${e.to}`)).toEqual(["ready>allocated", "allocated>deploying", "deploying>deployed"]);
  });

  it("refuses a `then` the lifecycle does not allow from allocated, and writes nothing", async () => {
    const inventory = await memoryInventory();
    await addReadyMachines(inventory, 1);
    const before = await snapshot(inventory);
    await expect(inventory.db.transaction((tx) => inventory.allocateManyWithin(tx, {}, "acct", { min: 1, max: 1 }, { to: "deployed", reason: () => "skipping deploying" }))).rejects.toMatchObject({ code: "ILLEGAL_TRANSITION" });
    expect(await snapshot(inventory)).toEqual(before);
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
