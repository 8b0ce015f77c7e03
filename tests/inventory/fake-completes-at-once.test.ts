import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { LifecycleEngine } from "../../lib/engine/lifecycle-engine.ts";
import { FakePowerDriver } from "../../lib/power/fake.ts";
import { builtinPowerTypes } from "../../lib/power/power-types.ts";
import { builtinPowerDrivers, PowerDriverRegistry } from "../../lib/power/registry.ts";
import { memoryInventory, nextMac } from "../helpers/inventory.ts";

const logger = pino({ level: "silent" });

describe("Inventory option fakeCompletesAtOnce", () => {
  it("is on by default: a fake machine goes through commissioning and deploying at once", async () => {
    const inventory = await memoryInventory();
    expect(inventory.fakeCompletesAtOnce).toBe(true);
    const m = await inventory.addMachine({ interfaces: [{ mac: nextMac() }], power: { type: "fake" } });
    expect((await inventory.accept(m.systemId)).status).toBe("ready");
    await inventory.allocate({}, "acct");
    expect((await inventory.startDeployment(m.systemId)).status).toBe("deployed");
  });

  it("off: a fake machine stays in each in-progress state until the engine's fake driver and the next transition move it", async () => {
    const inventory = await memoryInventory({ fakeCompletesAtOnce: false });
    const fake = new FakePowerDriver();
    const engine = new LifecycleEngine({ inventory, drivers: new PowerDriverRegistry(builtinPowerTypes()).register(fake), logger });
    const m = await inventory.addMachine({ interfaces: [{ mac: nextMac() }], cpus: 2, memoryMib: 2048, power: { type: "fake" } });

    expect((await inventory.accept(m.systemId)).status).toBe("commissioning");
    expect(await engine.sweep()).toMatchObject([{ systemId: m.systemId, status: "commissioning", outcome: "done" }]);
    expect(fake.state.get(m.systemId)).toBe("on");
    expect(fake.bootDevice.get(m.systemId)).toBe("pxe");
    expect((await inventory.getMachine(m.systemId)).status).toBe("commissioning");
    await inventory.transition(m.systemId, "ready", "hardware reported");

    await inventory.allocate({}, "acct");
    expect((await inventory.startDeployment(m.systemId)).status).toBe("deploying");
    fake.state.set(m.systemId, "off");
    expect(await engine.sweep()).toMatchObject([{ status: "deploying", outcome: "done" }]);
    expect(fake.state.get(m.systemId)).toBe("on");
    expect((await inventory.getMachine(m.systemId)).status).toBe("deploying");
    expect((await inventory.transition(m.systemId, "deployed", "booted")).status).toBe("deployed");

    // Releasing ends with the power off, after which the engine itself returns the machine to ready.
    expect((await inventory.release(m.systemId)).status).toBe("releasing");
    expect(await engine.sweep()).toMatchObject([{ status: "releasing", outcome: "done" }]);
    expect(fake.state.get(m.systemId)).toBe("off");
    expect((await inventory.getMachine(m.systemId)).status).toBe("ready");
    expect((await inventory.events(m.systemId)).map((e) => e.to)).toEqual(["new", "commissioning", "ready", "allocated", "deploying", "deployed", "releasing", "ready"]);
  });

  it("off: the registry the server uses carries out a fake machine's power step, labelled test only", async () => {
    const inventory = await memoryInventory({ fakeCompletesAtOnce: false });
    const engine = new LifecycleEngine({ inventory, drivers: builtinPowerDrivers(), logger });
    const m = await inventory.addMachine({ interfaces: [{ mac: nextMac() }], power: { type: "fake" } });
    await inventory.accept(m.systemId);
    const [report] = await engine.sweep();
    expect(report).toMatchObject({ status: "commissioning", outcome: "done" });
    expect(report!.message).toMatch(/TEST ONLY/);
  });

  it("off: a machine with a real power type behaves the same either way", async () => {
    const inventory = await memoryInventory({ fakeCompletesAtOnce: false });
    const m = await inventory.addMachine({ interfaces: [{ mac: nextMac() }], power: { type: "manual" } });
    expect((await inventory.accept(m.systemId)).status).toBe("commissioning");
  });
});
