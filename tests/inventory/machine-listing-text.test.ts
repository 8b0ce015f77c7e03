import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Inventory } from "../../lib/inventory/index.ts";
import { updateMachineHardware, updateMachinePower, updateStatus } from "../../lib/inventory/machine-rows.ts";
import { builtinPowerTypes } from "../../lib/power/power-types.ts";
import { migrate, MIGRATIONS } from "../../lib/store/migrations.ts";
import { openStore } from "../../lib/store/open-store.ts";
import type { SqlDatabase } from "../../lib/store/sql-database.ts";
import { openSqliteDatabase } from "../../lib/store/sqlite-database.ts";
import { forceStatus, nextMac } from "../helpers/inventory.ts";
import { addVariedMachines, AWKWARD, viewsJson } from "../helpers/varied-machines.ts";

// Each machine's listed text is kept with its row by SQLite triggers
// (lib/inventory/machine-listing-text.ts). After every kind of write, whoever makes it, the
// texts must still make the listing JavaScript renders from the machines' views, byte for byte.

let db: SqlDatabase;
let inventory: Inventory;

beforeEach(async () => {
  db = await openStore(":memory:");
  inventory = new Inventory(db);
});
afterEach(async () => {
  await db.close();
});

async function missingTexts(): Promise<number> {
  return Number((await db.get<{ n: number }>("SELECT COUNT(*) AS n FROM machines WHERE listing_head IS NULL OR listing_tail IS NULL"))?.n);
}

/** The triggers wrote every text (the listing's own repair of a missing one is not what keeps them), and the listing is the views'. */
async function expectFresh(after: string): Promise<void> {
  expect(await missingTexts(), after).toBe(0);
  expect(await inventory.listMachinesJson({}, 2), after).toBe(await viewsJson(inventory, {}, 2));
}

describe("the machines' stored listing texts", () => {
  it("follow every write: settings, enlistment, transitions, instances, interfaces, deletion and SQL by hand", async () => {
    const holder = await addVariedMachines(inventory);
    await expectFresh("adding");
    const ready = (await inventory.listMachines({ status: "ready", zone: "zone-a" }))[0]!.systemId;
    const steps: [string, () => Promise<unknown>][] = [
      ["a new hostname (first in the listing now)", () => inventory.updateMachine("ipmi-node", { hostname: "a-first-node" })],
      ["a new zone", () => inventory.updateMachine("a-first-node", { zone: "zone-c" })],
      ["tags replaced", () => inventory.updateMachine("a-first-node", { tags: ["x", "y"] })],
      ["a tag added", () => inventory.updateMachine("a-first-node", { addTags: ["z"] })],
      ["a tag removed", () => inventory.updateMachine("a-first-node", { removeTags: ["x"] })],
      ["new power settings with a new secret", () => inventory.updateMachine("redfish-node", { powerParams: { address: "https://192.0.2.12", password: "n3w-secret" } })],
      ["another power type", () => inventory.updateMachine("wol-node", { powerType: "ipmi", powerParams: { address: "192.0.2.13", password: "an0ther" } })],
      ["a test-only machine made manual", () => inventory.updateMachine(ready, { powerType: "manual" })],
      ["a manual machine made test-only", () => inventory.updateMachine("manual-node", { powerType: "fake" })],
      [
        "hardware reported by enlistment",
        async () => {
          const machine = await inventory.getMachine("a-first-node");
          await db.transaction((tx) => updateMachineHardware(tx, { ...machine, cpus: 96, memoryMib: 1_048_576, disks: [{ name: "nvme0n1", sizeBytes: 8 * 1024 ** 4, model: "M \"2\"", serial: "Z" }], hardware: { ...machine.hardware, bmc: "192.0.2.50" }, updatedAt: new Date().toISOString() }));
        },
      ],
      [
        "power settings reported by enlistment",
        async () => {
          const machine = await inventory.getMachine("a-first-node");
          await db.transaction((tx) => updateMachinePower(tx, { ...machine, power: { type: "ipmi", params: { address: "192.0.2.50", username: "maas", password: "f4ctory" } }, updatedAt: new Date().toISOString() }, inventory.powerTypes));
        },
      ],
      ["commissioning (and completing at once)", () => inventory.commission(ready)],
      ["marked broken", () => inventory.markBroken("a-first-node", "fans")],
      ["allocated (an open instance)", () => inventory.allocate({ zone: "zone-a" }, "carol")],
      ["deploying (and deployed at once)", () => inventory.startDeployment(holder)],
      ["released (the instance ended)", () => inventory.release(holder)],
      ["a machine with an open instance deleted", async () => inventory.deleteMachine((await inventory.allocate({}, "dave")).machine.systemId, { force: true })],
      ["an interface added by SQL", () => db.run("INSERT INTO interfaces (mac, machine_id, name, boot, position) VALUES ($1, $2, 'eth7', 0, 5)", [nextMac(), ready])],
      ["an interface renamed and made the boot one by SQL", () => db.run("UPDATE interfaces SET name = 'eth8', boot = 1 WHERE machine_id = $1 AND position = 5", [ready])],
      ["an interface moved to another machine by SQL", async () => db.run("UPDATE interfaces SET machine_id = $2 WHERE machine_id = $1 AND position = 5", [ready, (await inventory.getMachine("redfish-node")).systemId])],
      ["an interface removed by SQL", () => db.run("DELETE FROM interfaces WHERE name = 'eth8'")],
      ["a status set by SQL", () => forceStatus(inventory, ready, "broken")],
      ["every machine's status message set by SQL at once", () => db.run("UPDATE machines SET status_message = 'bulk \"edit\"'")],
      // A stale copy by hand, then none: the listing writes it again from the sealed settings (fillRedactedPower), which fires the trigger.
      ["a redacted power copy set by SQL", () => db.run("UPDATE machines SET power_params_redacted = '{\"address\":\"stale\"}' WHERE hostname = 'redfish-node'")],
      ["the redacted power copies cleared by SQL", () => db.run("UPDATE machines SET power_params_redacted = NULL")],
      ["another machine added", () => inventory.addMachine({ hostname: "late-node", interfaces: [{ mac: nextMac() }, { mac: nextMac(), name: "ib0", boot: true }], power: { type: "manual" }, tags: ["late"] })],
    ];
    for (const [what, write] of steps) {
      await write();
      await expectFresh(what);
    }
    const listing = await inventory.listMachinesJson({}, 2);
    for (const secret of ["s3cret", "n3w-secret", "an0ther", "f4ctory"]) expect(listing).not.toContain(secret);
  });

  it("are not rewritten by a status change, which the listing shows all the same", async () => {
    await addVariedMachines(inventory);
    const ready = (await inventory.listMachines({ status: "ready", zone: "zone-a" }))[0]!.systemId;
    const storedTexts = () => db.all("SELECT system_id, listing_head, listing_tail FROM machines ORDER BY system_id");
    // Rows a write changed, a trigger's included (total_changes counts them; changes() does not).
    const rowsWritten = async (write: () => Promise<unknown>) => {
      const total = async () => Number((await db.get<{ n: number }>("SELECT total_changes() AS n"))?.n);
      const before = await total();
      await write();
      return (await total()) - before;
    };
    const texts = await storedTexts();
    const at = "2031-02-03T04:05:06.789Z";
    // What every deployment does three times: the machine's row is the one row written.
    expect(await rowsWritten(() => db.transaction((tx) => updateStatus(tx, ready, "ready", "broken", AWKWARD, at)))).toBe(1);
    expect(await storedTexts()).toEqual(texts);
    const listing = await inventory.listMachinesJson({}, 2);
    expect(listing).toBe(await viewsJson(inventory, {}, 2));
    expect((JSON.parse(listing) as { systemId: string }[]).find((m) => m.systemId === ready)).toMatchObject({ status: "broken", statusMessage: AWKWARD, statusChangedAt: at, updatedAt: at });
    expect(await inventory.listMachinesJson({ status: "broken" }, 0)).toBe(await viewsJson(inventory, { status: "broken" }, 0));
    // A stored field's change still has the trigger write the text: the machine's row, then its text.
    expect(await rowsWritten(() => db.run("UPDATE machines SET zone = 'zone-c' WHERE system_id = $1", [ready]))).toBe(2);
    expect(await storedTexts()).not.toEqual(texts);
    await expectFresh("a stored field changed after the status");
  });

  it("are written for the machines already there when a store is migrated to them", async () => {
    const old = openSqliteDatabase(":memory:");
    try {
      await migrate(old, MIGRATIONS.filter((m) => m.version < 16));
      const before = new Inventory(old);
      await addVariedMachines(before);
      expect(await migrate(old, MIGRATIONS.filter((m) => m.version <= 17))).toEqual([16, 17]);
      expect(Number((await old.get<{ n: number }>("SELECT COUNT(*) AS n FROM machines WHERE listing_head IS NULL OR listing_tail IS NULL"))?.n)).toBe(0);
      for (const indent of [0, 2]) expect(await before.listMachinesJson({}, indent)).toBe(await viewsJson(before, {}, indent));
    } finally {
      await old.close();
    }
  });

  it("of a store migrated with the status in them (migration 16) are rewritten without it, and its triggers with them", async () => {
    const old = openSqliteDatabase(":memory:");
    try {
      await migrate(old, MIGRATIONS.filter((m) => m.version <= 16));
      const before = new Inventory(old);
      await addVariedMachines(before);
      const withStatus = "SELECT COUNT(*) AS n FROM machines WHERE listing_head LIKE '%\"status%' OR listing_tail LIKE '%\"updatedAt\"%'";
      const machines = (await before.listMachines()).length;
      expect(Number((await old.get<{ n: number }>(withStatus))?.n)).toBe(machines);
      expect(await migrate(old, MIGRATIONS.filter((m) => m.version <= 17))).toEqual([17]);
      expect(Number((await old.get<{ n: number }>(withStatus))?.n)).toBe(0);
      for (const indent of [0, 2]) expect(await before.listMachinesJson({}, indent)).toBe(await viewsJson(before, {}, indent));
      // The triggers are the new layout's: a change of a stored field writes it, a status change writes none.
      await before.updateMachine("ipmi-node", { tags: ["after-17"] });
      await before.markBroken("redfish-node", "after 17");
      expect(Number((await old.get<{ n: number }>(withStatus))?.n)).toBe(0);
      expect(await before.listMachinesJson({}, 2)).toBe(await viewsJson(before, {}, 2));
    } finally {
      await old.close();
    }
  });

  it("missing (cleared by hand or by a migration) are written again by the listing, never left out", async () => {
    await addVariedMachines(inventory);
    const expected = await viewsJson(inventory, {}, 2);
    await db.run("UPDATE machines SET listing_head = NULL WHERE hostname = 'ipmi-node'");
    await db.run("UPDATE machines SET listing_tail = NULL WHERE hostname = 'wol-node'");
    expect(await missingTexts()).toBe(2);
    expect(await inventory.listMachinesJson({}, 2)).toBe(expected);
    expect(await missingTexts()).toBe(0);
  });

  it("leave power.testOnly to the power types each inventory has", async () => {
    const powerTypes = builtinPowerTypes().register({ name: "simulated", description: "a test-only type of this test", settings: [], testOnly: true });
    const custom = new Inventory(db, { powerTypes, fakeCompletesAtOnce: false });
    await custom.addMachine({ hostname: "sim-node", interfaces: [{ mac: nextMac() }], power: { type: "simulated" } });
    await custom.addMachine({ hostname: "fake-node", interfaces: [{ mac: nextMac() }], power: { type: "fake" } });
    await custom.addMachine({ hostname: "manual-node", interfaces: [{ mac: nextMac() }], power: { type: "manual" } });
    const testOnly = (listing: string) => Object.fromEntries((JSON.parse(listing) as { hostname: string; power: { testOnly: boolean } }[]).map((m) => [m.hostname, m.power.testOnly]));
    expect(testOnly(await custom.listMachinesJson({}, 2))).toEqual({ "fake-node": true, "manual-node": false, "sim-node": true });
    expect(await custom.listMachinesJson({}, 2)).toBe(await viewsJson(custom, {}, 2));
    // The built-in types know nothing of "simulated": the same stored texts list it as not test-only.
    expect(testOnly(await inventory.listMachinesJson({}, 2))).toEqual({ "fake-node": true, "manual-node": false, "sim-node": false });
    expect(await inventory.listMachinesJson({}, 2)).toBe(await viewsJson(inventory, {}, 2));
  });
});
