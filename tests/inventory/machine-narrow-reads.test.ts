import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Inventory } from "../../lib/inventory/index.ts";
import { addReadyMachines, memoryInventory, nextMac } from "../helpers/inventory.ts";
import { addVariedMachines } from "../helpers/varied-machines.ts";

// A boot script reads only the boot view of the machine that asks (lib/boot/boot-service.ts),
// a deploy plan only its disks, a node's report moves it on three columns (lib/deploy/deploy-service.ts):
// each must say and do what the whole machine's path does.
let inventory: Inventory;

beforeEach(async () => {
  inventory = await memoryInventory();
});
afterEach(async () => {
  await inventory.db.close();
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

describe("moving a machine from a state entry it was seen in, reading three of its columns (moveFromWithin)", () => {
  it("moves it, logs the event and answers the new state entry, as transitionFromWithin does", async () => {
    const deploying = await memoryInventory({ fakeCompletesAtOnce: false });
    const m = await deploying.addMachine({ interfaces: [{ mac: nextMac() }], power: { type: "fake" } });
    const seen = await deploying.transition(m.systemId, "commissioning", "for the test");
    const moved = await deploying.db.transaction((tx) => deploying.moveFromWithin(tx, m.systemId, seen, "ready", "hardware reported"));
    const after = await deploying.getMachine(m.systemId);
    expect(moved).toEqual({ systemId: m.systemId, status: "ready", statusChangedAt: after.statusChangedAt });
    expect(after.status).toBe("ready");
    expect((await deploying.events(m.systemId)).at(-1)).toMatchObject({ from: "commissioning", to: "ready", reason: "hardware reported" });
  });

  it("lets a test-only machine finish an in-progress state at once where the inventory says so", async () => {
    const atOnce = await memoryInventory();
    const m = await atOnce.addMachine({ interfaces: [{ mac: nextMac() }], power: { type: "fake" } });
    const seen = await atOnce.getMachine(m.systemId);
    const moved = await atOnce.db.transaction((tx) => atOnce.moveFromWithin(tx, m.systemId, seen, "commissioning", "accepted"));
    expect(moved?.status).toBe("ready");
  });

  it("changes nothing when the machine left that state entry or is gone, and refuses a move the lifecycle forbids", async () => {
    const [id] = await addReadyMachines(inventory, 1);
    const seen = await inventory.getMachine(id!);
    const stale = { status: seen.status, statusChangedAt: "2000-01-01T00:00:00.000Z" };
    expect(await inventory.db.transaction((tx) => inventory.moveFromWithin(tx, id!, stale, "broken", "stale"))).toBeUndefined();
    expect(await inventory.db.transaction((tx) => inventory.moveFromWithin(tx, "no-such-machine", seen, "broken", "gone"))).toBeUndefined();
    await expect(inventory.db.transaction((tx) => inventory.moveFromWithin(tx, id!, seen, "deployed", "skipping ahead"))).rejects.toMatchObject({ code: "ILLEGAL_TRANSITION" });
    expect(await inventory.getMachine(id!)).toEqual(seen);
    expect((await inventory.events(id!)).map((e) => e.to)).not.toContain("broken");
  });
});
