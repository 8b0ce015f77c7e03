import { describe, expect, it } from "vitest";
import { FAILURE_STATUS, type InProgressStatus } from "../../lib/inventory/lifecycle.ts";
import { forceStatus, memoryInventory, nextMac } from "../helpers/inventory.ts";

describe("per-state timeouts", () => {
  it.each(Object.entries(FAILURE_STATUS) as [InProgressStatus, string][])("a machine stuck in %s past its timeout moves to %s", async (status, failed) => {
    let now = new Date("2026-01-01T00:00:00Z");
    const inventory = await memoryInventory({ now: () => now, timeouts: { [status]: 60 } });
    const stuck = await inventory.addMachine({ interfaces: [{ mac: nextMac() }], power: { type: "manual" } });
    const fresh = await inventory.addMachine({ interfaces: [{ mac: nextMac() }], power: { type: "manual" } });
    await forceStatus(inventory, stuck.systemId, status, now.toISOString());
    now = new Date("2026-01-01T00:00:59Z");
    expect(await inventory.expireTimeouts()).toEqual([]);
    await forceStatus(inventory, fresh.systemId, status, now.toISOString());
    now = new Date("2026-01-01T00:01:00Z");
    const expired = await inventory.expireTimeouts();
    expect(expired.map((m) => m.systemId)).toEqual([stuck.systemId]);
    const after = await inventory.getMachine(stuck.systemId);
    expect(after.status).toBe(failed);
    expect(after.statusMessage).toBe(`timed out after 60 s in ${status}`);
    expect((await inventory.events(stuck.systemId)).at(-1)).toMatchObject({ from: status, to: failed });
    expect((await inventory.getMachine(fresh.systemId)).status).toBe(status);
  });

  it("counts from the stored time, so a new server process picks up an old deadline", async () => {
    let now = new Date("2026-01-01T00:00:00Z");
    const first = await memoryInventory({ now: () => now, timeouts: { deploying: 600 } });
    const m = await first.addMachine({ interfaces: [{ mac: nextMac() }], power: { type: "manual" } });
    await forceStatus(first, m.systemId, "deploying", now.toISOString());
    // A "restarted" inventory over the same database, with its own clock.
    const { Inventory } = await import("../../lib/inventory/index.ts");
    const second = new Inventory(first.db, { now: () => new Date("2026-01-01T00:10:01Z"), timeouts: { deploying: 600 } });
    expect((await second.expireTimeouts()).map((x) => x.status)).toEqual(["failed_deployment"]);
  });

  it("leaves states without a timeout alone however old they are", async () => {
    const inventory = await memoryInventory({ now: () => new Date("2030-01-01T00:00:00Z") });
    const m = await inventory.addMachine({ interfaces: [{ mac: nextMac() }], power: { type: "manual" } });
    for (const status of ["new", "ready", "allocated", "deployed", "broken"] as const) {
      await forceStatus(inventory, m.systemId, status, "2000-01-01T00:00:00.000Z");
      expect(await inventory.expireTimeouts()).toEqual([]);
    }
  });
});
