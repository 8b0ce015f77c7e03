import { describe, expect, it } from "vitest";
import { claimPowerAction, finishPowerAction, selectMachinesNeedingPowerStep, selectPowerActions } from "../../lib/engine/power-action-rows.ts";
import { memoryInventory, nextMac } from "../helpers/inventory.ts";

describe("power step claims", () => {
  it("a state entry's step is claimed once; its finished record stops it running again", async () => {
    const inventory = await memoryInventory();
    const { systemId } = await inventory.addMachine({ interfaces: [{ mac: nextMac() }], power: { type: "manual" } });
    const at = "2026-11-25T20:00:00.000Z";
    const now = new Date("2026-11-25T20:00:01.000Z");
    expect(await inventory.db.transaction((tx) => claimPowerAction(tx, systemId, at, "commissioning", now, 60_000))).toBe(true);
    expect(await inventory.db.transaction((tx) => claimPowerAction(tx, systemId, at, "commissioning", now, 60_000))).toBe(false);
    await inventory.db.transaction((tx) => finishPowerAction(tx, systemId, at, "done", "ok", now));
    expect(await inventory.db.transaction((tx) => claimPowerAction(tx, systemId, at, "commissioning", new Date(now.getTime() + 3_600_000), 60_000))).toBe(false);
  });

  it("two state entries in the same millisecond are two steps: the later one is not mistaken for the finished earlier one", async () => {
    const inventory = await memoryInventory();
    const { systemId } = await inventory.addMachine({ interfaces: [{ mac: nextMac() }], power: { type: "manual" } });
    const at = "2026-11-25T20:00:00.000Z";
    const now = new Date("2026-11-25T20:00:01.000Z");
    await inventory.db.transaction((tx) => claimPowerAction(tx, systemId, at, "deploying", now, 60_000));
    await inventory.db.transaction((tx) => finishPowerAction(tx, systemId, at, "done", "cycled", now));
    expect(await inventory.db.transaction((tx) => claimPowerAction(tx, systemId, at, "releasing", now, 60_000))).toBe(true);
    expect((await selectPowerActions(inventory.db, systemId)).map((r) => [r.status, r.finished_at])).toEqual([["releasing", null]]);
    await inventory.db.close();
  });

  it("the sweep's scan names only machines whose current entry still needs its step: unclaimed, claimed by an earlier entry's status, or claimed long ago and unfinished", async () => {
    const inventory = await memoryInventory();
    const add = async (status: string) => {
      const { systemId } = await inventory.addMachine({ interfaces: [{ mac: nextMac() }], power: { type: "manual" } });
      await inventory.db.run("UPDATE machines SET status = $2, status_changed_at = $3 WHERE system_id = $1", [systemId, status, "2026-11-25T20:00:00.000Z"]);
      return systemId;
    };
    const at = "2026-11-25T20:00:00.000Z";
    const now = new Date("2026-11-25T20:10:00.000Z");
    const unclaimed = await add("deploying");
    const finished = await add("deploying");
    await inventory.db.transaction((tx) => claimPowerAction(tx, finished, at, "deploying", now, 60_000));
    await inventory.db.transaction((tx) => finishPowerAction(tx, finished, at, "done", "cycled", now));
    const freshClaim = await add("commissioning");
    await inventory.db.transaction((tx) => claimPowerAction(tx, freshClaim, at, "commissioning", now, 60_000));
    const staleClaim = await add("releasing");
    await inventory.db.transaction((tx) => claimPowerAction(tx, staleClaim, at, "releasing", new Date(now.getTime() - 3_600_000), 60_000));
    const otherEntry = await add("releasing");
    await inventory.db.transaction((tx) => claimPowerAction(tx, otherEntry, at, "deploying", now, 60_000));
    await inventory.db.transaction((tx) => finishPowerAction(tx, otherEntry, at, "done", "cycled", now));
    const ready = await add("ready");
    const found = await selectMachinesNeedingPowerStep(inventory.db, ["commissioning", "deploying", "releasing"], new Date(now.getTime() - 60_000));
    expect(found.sort()).toEqual([unclaimed, staleClaim, otherEntry].sort());
    expect(found).not.toContain(ready);
    // Each one named is one claimPowerAction would grant; the others it would refuse.
    for (const [id, status] of [[unclaimed, "deploying"], [staleClaim, "releasing"], [otherEntry, "releasing"], [finished, "deploying"], [freshClaim, "commissioning"]] as const) {
      expect(await inventory.db.transaction((tx) => claimPowerAction(tx, id, at, status, now, 60_000))).toBe(found.includes(id));
    }
    await inventory.db.close();
  });
});
