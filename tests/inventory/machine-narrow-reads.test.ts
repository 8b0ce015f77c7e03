import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Inventory } from "../../lib/inventory/index.ts";
import { openStore } from "../../lib/store/open-store.ts";
import type { SqlDatabase } from "../../lib/store/sql-database.ts";
import { tempDataDir } from "../helpers/inventory.ts";
import { addVariedMachines } from "../helpers/varied-machines.ts";

// A boot script reads only the boot view of the machine that asks (lib/boot/boot-service.ts),
// a deploy plan only its disks (lib/deploy/deploy-service.ts):
// each must say what the whole machine says, for every machine.
let data: { dir: string; cleanup: () => void };
let db: SqlDatabase;
let inventory: Inventory;

beforeEach(async () => {
  data = tempDataDir();
  db = await openStore(data.dir);
  inventory = new Inventory(db);
});
afterEach(async () => {
  await db.close();
  data.cleanup();
});

describe("a machine's boot view by MAC", () => {
  it("is the whole machine's id, architecture and state entry, by any of its MACs, however written", async () => {
    await addVariedMachines(inventory);
    const machines = await inventory.listMachines();
    const macs = machines.flatMap((m) => m.interfaces.map((nic) => nic.mac));
    expect(macs.length).toBeGreaterThan(machines.length);
    for (const machine of machines) {
      for (const nic of machine.interfaces) {
        const expected = { systemId: machine.systemId, architecture: machine.architecture, status: machine.status, statusChangedAt: machine.statusChangedAt };
        expect(await inventory.findBootViewByMac(nic.mac)).toEqual(expected);
        expect(await inventory.findBootViewByMac(nic.mac.toUpperCase().replaceAll(":", "-"))).toEqual(expected);
      }
    }
  });

  it("follows the machine's state as it changes", async () => {
    await addVariedMachines(inventory);
    const ready = (await inventory.listMachines({ status: "ready" }))[0]!;
    const mac = ready.interfaces[0]!.mac;
    const moved = await inventory.transition(ready.systemId, "allocated", "for the test");
    expect(await inventory.findBootViewByMac(mac)).toEqual({ systemId: ready.systemId, architecture: ready.architecture, status: "allocated", statusChangedAt: moved.statusChangedAt });
  });

  it("is undefined for a MAC no machine has, and refuses a malformed one", async () => {
    await addVariedMachines(inventory);
    expect(await inventory.findBootViewByMac("02:00:00:00:00:99")).toBeUndefined();
    await expect(inventory.findBootViewByMac("not-a-mac")).rejects.toMatchObject({ code: "INVALID_MAC" });
  });
});

describe("a machine's disks by system id", () => {
  it("are the whole machine's disks, and a gone machine is MACHINE_NOT_FOUND", async () => {
    await addVariedMachines(inventory);
    const machines = await inventory.listMachines();
    expect(machines.some((m) => m.disks.length > 0)).toBe(true);
    for (const machine of machines) expect(await inventory.getDisks(machine.systemId)).toEqual(machine.disks);
    await expect(inventory.getDisks("no-such-machine")).rejects.toMatchObject({ code: "MACHINE_NOT_FOUND" });
  });
});
