import { describe, expect, it } from "vitest";
import { isOrchestraError } from "../../lib/errors.ts";
import {
  DEFAULT_STATUS_TIMEOUTS,
  FAILURE_STATUS,
  MACHINE_STATUSES,
  SUCCESS_STATUS,
  TRANSITIONS,
  type MachineStatus,
} from "../../lib/inventory/lifecycle.ts";
import { forceStatus, memoryInventory, nextMac } from "../helpers/inventory.ts";

const allPairs = MACHINE_STATUSES.flatMap((from) => MACHINE_STATUSES.map((to) => [from, to] as [MachineStatus, MachineStatus]));

describe("the lifecycle table", () => {
  it("names only known states, and every state can be reached", () => {
    const reachable = new Set<string>(["new"]);
    for (const [from, targets] of Object.entries(TRANSITIONS)) {
      expect(MACHINE_STATUSES).toContain(from);
      for (const to of targets) {
        expect(MACHINE_STATUSES).toContain(to);
        reachable.add(to);
      }
    }
    expect([...reachable].sort()).toEqual([...MACHINE_STATUSES].sort());
  });

  it("gives every in-progress state a failed state, a success state and a timeout, all legal moves", () => {
    for (const [status, failed] of Object.entries(FAILURE_STATUS)) {
      const inProgress = status as keyof typeof DEFAULT_STATUS_TIMEOUTS;
      expect(TRANSITIONS[inProgress]).toContain(failed);
      expect(TRANSITIONS[inProgress]).toContain(SUCCESS_STATUS[inProgress]);
      expect(DEFAULT_STATUS_TIMEOUTS[inProgress]).toBeGreaterThan(0);
    }
  });

  it("lets the operator mark any machine broken except a broken or retired one", () => {
    for (const status of MACHINE_STATUSES) {
      expect(TRANSITIONS[status].includes("broken")).toBe(status !== "broken" && status !== "retired");
    }
  });
});

describe("transition() on a real store", () => {
  // One machine per (from, to) pair: every legal move succeeds and leaves an event, every
  // illegal move is refused with a message naming the state and what it allows, and
  // changes nothing.
  it.each(allPairs)("%s -> %s", async (from, to) => {
    const inventory = await memoryInventory();
    const machine = await inventory.addMachine({ interfaces: [{ mac: nextMac() }], power: { type: "manual" } });
    await forceStatus(inventory, machine.systemId, from);
    const before = await inventory.events(machine.systemId);
    if (TRANSITIONS[from].includes(to)) {
      const moved = await inventory.transition(machine.systemId, to, "test move");
      expect(moved.status).toBe(to);
      expect((await inventory.getMachine(machine.systemId)).status).toBe(to);
      const events = await inventory.events(machine.systemId);
      expect(events).toHaveLength(before.length + 1);
      expect(events.at(-1)).toMatchObject({ from, to, reason: "test move" });
    } else {
      const error = await inventory.transition(machine.systemId, to, "test move").catch((e: unknown) => e);
      expect(isOrchestraError(error, "ILLEGAL_TRANSITION")).toBe(true);
      expect((error as Error).message).toContain(`is ${from}`);
      expect((error as Error).message).toContain(`cannot move to ${to}`);
      expect((await inventory.getMachine(machine.systemId)).status).toBe(from);
      expect(await inventory.events(machine.systemId)).toEqual(before);
    }
    await inventory.db.close();
  });
});

describe("named operations", () => {
  it("accept moves new to commissioning, and refuses anything but new", async () => {
    const inventory = await memoryInventory();
    const m = await inventory.addMachine({ interfaces: [{ mac: nextMac() }], power: { type: "manual" } });
    expect((await inventory.accept(m.systemId)).status).toBe("commissioning");
    await expect(inventory.accept(m.systemId)).rejects.toMatchObject({ code: "ILLEGAL_TRANSITION" });
  });

  it("a fake (test-only) machine completes commissioning at once and says so in its log", async () => {
    const inventory = await memoryInventory();
    const m = await inventory.addMachine({ interfaces: [{ mac: nextMac() }], power: { type: "fake" } });
    expect((await inventory.accept(m.systemId)).status).toBe("ready");
    const events = await inventory.events(m.systemId);
    expect(events.map((e) => e.to)).toEqual(["new", "commissioning", "ready"]);
    expect(events[2]!.reason).toMatch(/fake power type, test only/);
  });

  it("a manual machine stays commissioning until something finishes the work", async () => {
    const inventory = await memoryInventory();
    const m = await inventory.addMachine({ interfaces: [{ mac: nextMac() }], power: { type: "manual" } });
    expect((await inventory.accept(m.systemId)).status).toBe("commissioning");
    expect((await inventory.getMachine(m.systemId)).status).toBe("commissioning");
  });

  it("mark-broken needs a reason and records it", async () => {
    const inventory = await memoryInventory();
    const m = await inventory.addMachine({ interfaces: [{ mac: nextMac() }], power: { type: "manual" } });
    await expect(inventory.markBroken(m.systemId, " ")).rejects.toMatchObject({ code: "MISSING_ARGUMENT" });
    const broken = await inventory.markBroken(m.systemId, "PSU smells of smoke");
    expect(broken.status).toBe("broken");
    expect(broken.statusMessage).toContain("PSU smells of smoke");
  });

  it("a full round trip on a fake machine: commission, allocate, deploy, release, and the instance ends", async () => {
    const inventory = await memoryInventory();
    const m = await inventory.addMachine({ interfaces: [{ mac: nextMac() }], cpus: 2, memoryMib: 2048, power: { type: "fake" } });
    await inventory.accept(m.systemId);
    const { instance } = await inventory.allocate({}, "alice");
    expect((await inventory.startDeployment(m.systemId)).status).toBe("deployed");
    expect((await inventory.getInstance(instance.instanceId)).endedAt).toBeNull();
    expect((await inventory.release(m.systemId)).status).toBe("ready");
    expect((await inventory.getInstance(instance.instanceId)).endedAt).not.toBeNull();
    const statuses = (await inventory.events(m.systemId)).map((e) => e.to);
    expect(statuses).toEqual(["new", "commissioning", "ready", "allocated", "deploying", "deployed", "releasing", "ready"]);
  });
});
