import { join } from "node:path";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LifecycleEngine } from "../../lib/engine/lifecycle-engine.ts";
import { selectPowerActions } from "../../lib/engine/power-action-rows.ts";
import { builtinPowerTypes } from "../../lib/power/power-types.ts";
import { IpmiPowerDriver } from "../../lib/power/ipmi.ts";
import { ManualPowerDriver } from "../../lib/power/manual.ts";
import { QemuPowerDriver } from "../../lib/power/qemu.ts";
import { PowerDriverRegistry } from "../../lib/power/registry.ts";
import { forceStatus, memoryInventory, nextMac } from "../helpers/inventory.ts";
import { runState, startHeldQemu, type HeldQemu } from "../helpers/qemu-vm.ts";
import { startIpmiSim, type IpmiSim } from "../power/fixtures/ipmi-sim.ts";

const logger = pino({ level: "silent" });
// Fast retries: the failure tests should fail in milliseconds, not minutes.
const drivers = new PowerDriverRegistry(builtinPowerTypes(), { policy: { delaysMs: [10, 10], attemptTimeoutMs: 10_000 } })
  .register(new QemuPowerDriver({ commandTimeoutMs: 5_000 }))
  .register(new ManualPowerDriver());

describe("the lifecycle engine", () => {
  let vm: HeldQemu;
  let dir: string;
  let socket: string;

  beforeAll(async () => {
    // A real qemu held before its first instruction: its power is what the engine drives.
    vm = await startHeldQemu();
    ({ dir, socket } = vm);
  });
  afterAll(async () => {
    await vm?.stop();
  });

  it("powers a machine on when it enters commissioning, once per state entry", async () => {
    const inventory = await memoryInventory();
    const engine = new LifecycleEngine({ inventory, drivers, logger });
    const machine = await inventory.addMachine({ interfaces: [{ mac: nextMac() }], power: { type: "qemu", params: { qmp_socket: socket } } });
    expect(await engine.sweep()).toEqual([]);
    expect(await runState(socket)).toBe("prelaunch");
    await inventory.accept(machine.systemId);
    const [report] = await engine.sweep();
    expect(report).toMatchObject({ systemId: machine.systemId, status: "commissioning", outcome: "done" });
    expect(await runState(socket)).toBe("running");
    // The same state entry is never acted on twice.
    expect(await engine.sweep()).toEqual([]);
    const actions = await selectPowerActions(inventory.db, machine.systemId);
    expect(actions).toHaveLength(1);
    expect(actions[0]).toMatchObject({ status: "commissioning", outcome: "done" });
    expect((await inventory.getMachine(machine.systemId)).status).toBe("commissioning");
  });

  it("acts only on committed states: a state a transaction wrote and rolled back (a DryRun's) powers nothing", async () => {
    const inventory = await memoryInventory();
    const engine = new LifecycleEngine({ inventory, drivers, logger });
    const machine = await inventory.addMachine({ interfaces: [{ mac: nextMac() }], power: { type: "manual" } });
    await forceStatus(inventory, machine.systemId, "ready");
    let sweep: ReturnType<LifecycleEngine["sweep"]> | undefined;
    const rolledBack = await inventory.db
      .transaction(async (tx) => {
        await inventory.allocateWithin(tx, {}, "dry");
        await inventory.transitionWithin(tx, machine.systemId, "deploying", "a DryRun's RunInstances");
        // The sweep reads while the transaction is open, then queues its claim behind it.
        sweep = engine.sweep();
        await new Promise((resolve) => setTimeout(resolve, 50));
        throw new Error("rolled back, as a DryRun is");
      })
      .catch((error: Error) => error.message);
    expect(rolledBack).toBe("rolled back, as a DryRun is");
    expect(await sweep).toEqual([]);
    expect(await selectPowerActions(inventory.db, machine.systemId)).toEqual([]);
    expect((await inventory.getMachine(machine.systemId)).status).toBe("ready");
  });

  it("a BMC that cannot be reached fails the machine visibly, naming the cause", async () => {
    const inventory = await memoryInventory();
    const engine = new LifecycleEngine({ inventory, drivers, logger });
    const machine = await inventory.addMachine({ interfaces: [{ mac: nextMac() }], power: { type: "qemu", params: { qmp_socket: join(dir, "nobody-listens.sock") } } });
    await inventory.accept(machine.systemId);
    const [report] = await engine.sweep();
    expect(report).toMatchObject({ outcome: "failed" });
    const after = await inventory.getMachine(machine.systemId);
    expect(after.status).toBe("failed_commissioning");
    expect(after.statusMessage).toMatch(/^power error: .*nobody-listens\.sock/);
  });

  it("releasing powers off and returns the machine to ready; a manual machine asks the operator", async () => {
    const inventory = await memoryInventory();
    const engine = new LifecycleEngine({ inventory, drivers, logger });
    const machine = await inventory.addMachine({ interfaces: [{ mac: nextMac() }], cpus: 2, memoryMib: 2048, power: { type: "manual" } });
    await inventory.accept(machine.systemId);
    expect((await engine.sweep())[0]).toMatchObject({ outcome: "operator-action-required" });
    // Commissioning ends when the machine reports; here the report is stood in for by a transition.
    await inventory.transition(machine.systemId, "ready", "hardware reported");
    await inventory.allocate({}, "acct");
    await inventory.release(machine.systemId);
    const [report] = await engine.sweep();
    expect(report).toMatchObject({ status: "releasing", outcome: "operator-action-required" });
    expect(report!.message).toMatch(/operator action required/);
    expect((await inventory.getMachine(machine.systemId)).status).toBe("ready");
  });

  it("runs the steps of many machines in one sweep, in parallel", async () => {
    const inventory = await memoryInventory();
    const engine = new LifecycleEngine({ inventory, drivers, logger, concurrency: 8 });
    for (let i = 0; i < 20; i++) {
      const m = await inventory.addMachine({ interfaces: [{ mac: nextMac() }], power: { type: "manual" } });
      await inventory.accept(m.systemId);
    }
    const reports = await engine.sweep();
    expect(reports).toHaveLength(20);
    expect(new Set(reports.map((r) => r.systemId)).size).toBe(20);
  });

  it("after a crash, a claimed but unfinished step runs again once its claim is stale", async () => {
    let now = new Date("2026-01-01T00:00:00Z");
    const inventory = await memoryInventory({ now: () => now });
    const machine = await inventory.addMachine({ interfaces: [{ mac: nextMac() }], power: { type: "manual" } });
    const entered = await inventory.accept(machine.systemId);
    // The dead server's claim: made, never finished.
    await inventory.db.run("INSERT INTO power_actions (machine_id, entered_at, status, claimed_at, message) VALUES ($1, $2, 'commissioning', $3, '')", [machine.systemId, entered.statusChangedAt, now.toISOString()]);
    const engine = new LifecycleEngine({ inventory, drivers, logger, staleClaimMs: 60_000, now: () => now });
    expect(await engine.sweep()).toEqual([]);
    now = new Date("2026-01-01T00:01:01Z");
    expect(await engine.sweep()).toHaveLength(1);
    expect((await selectPowerActions(inventory.db, machine.systemId))[0]).toMatchObject({ outcome: "operator-action-required" });
  });

  it("does not act for a machine that moved on while its step ran", async () => {
    const inventory = await memoryInventory();
    const machine = await inventory.addMachine({ interfaces: [{ mac: nextMac() }], power: { type: "manual" } });
    const entered = await inventory.accept(machine.systemId);
    await inventory.markBroken(machine.systemId, "operator pulled it");
    expect(await inventory.transitionFrom(machine.systemId, entered, "failed_commissioning", "late power error")).toBeUndefined();
    expect((await inventory.getMachine(machine.systemId)).status).toBe("broken");
  });
});

describe("the lifecycle engine against a real BMC (ipmi_sim)", () => {
  let sim: IpmiSim;
  beforeAll(async () => {
    sim = await startIpmiSim();
  });
  afterAll(async () => {
    await sim?.stop();
  });

  it("a wrong BMC password fails commissioning with a reason naming authentication, the password in no reason or log", async () => {
    const wrong = "Wr0ng-Passw0rd-77";
    const lines: string[] = [];
    const captured = pino({ level: "debug" }, { write: (line: string) => lines.push(line) });
    const ipmiDrivers = new PowerDriverRegistry(builtinPowerTypes(), { policy: { delaysMs: [10, 10], attemptTimeoutMs: 30_000 }, logger: captured }).register(new IpmiPowerDriver({ resends: 1 }));
    const inventory = await memoryInventory();
    const engine = new LifecycleEngine({ inventory, drivers: ipmiDrivers, logger: captured });
    const machine = await inventory.addMachine({ interfaces: [{ mac: nextMac() }], power: { type: "ipmi", params: { address: "127.0.0.1", port: String(sim.port), username: sim.username, password: wrong } } });
    await inventory.accept(machine.systemId);
    const before = sim.calls().length;
    const [report] = await engine.sweep();
    expect(report).toMatchObject({ systemId: machine.systemId, status: "commissioning", outcome: "failed" });
    const after = await inventory.getMachine(machine.systemId);
    expect(after.status).toBe("failed_commissioning");
    expect(after.statusMessage).toMatch(/^power error: .*BMC 127\.0\.0\.1:\d+ .*wrong password/);
    // An authentication failure is not retried (it could lock the account), and nothing reached the chassis.
    expect(after.statusMessage).not.toMatch(/gave up after/);
    expect(sim.calls().slice(before).filter((call) => call.startsWith("set"))).toEqual([]);
    const events = await inventory.events(machine.systemId);
    const actions = await selectPowerActions(inventory.db, machine.systemId);
    expect(actions[0]).toMatchObject({ outcome: "failed" });
    for (const text of [after.statusMessage, report!.message, JSON.stringify(events), JSON.stringify(actions), lines.join("")]) expect(text).not.toContain(wrong);
    expect(lines.join("")).toMatch(/wrong password/);
  });
});
