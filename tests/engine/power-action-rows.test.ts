import { describe, expect, it } from "vitest";
import { claimPowerAction, finishPowerAction, selectPowerActions } from "../../lib/engine/power-action-rows.ts";
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
});
