import { describe, expect, it } from "vitest";
import { isOrchestraError } from "../../lib/errors.ts";
import { machineView } from "../../lib/inventory/machine-view.ts";
import { memoryInventory, nextMac } from "../helpers/inventory.ts";

describe("adding machines", () => {
  it("stores every field and gives a default hostname and boot interface", async () => {
    const inventory = await memoryInventory();
    const [a, b] = [nextMac(), nextMac()];
    const m = await inventory.addMachine({
      interfaces: [{ mac: a }, { mac: b, name: "eno2" }],
      architecture: "arm64",
      cpus: 8,
      memoryMib: 32768,
      disks: [{ sizeBytes: 500e9, model: "Samsung SSD", serial: "S1" }],
      hardware: { cpu_model: "Neoverse-N1" },
      power: { type: "ipmi", params: { address: "198.51.100.7", username: "admin", password: "s3cret" } },
      zone: "rack-4",
      tags: ["ssd", "ssd", "arm"],
    });
    const stored = await inventory.getMachine(m.systemId);
    expect(stored).toEqual(m);
    expect(stored.hostname).toBe(`node-${m.systemId}`);
    expect(stored.interfaces).toEqual([{ mac: a, name: "eth0", boot: true }, { mac: b, name: "eno2", boot: false }]);
    expect(stored.tags).toEqual(["ssd", "arm"]);
    expect(await inventory.getMachine(b.toUpperCase())).toEqual(m);
    expect(await inventory.getMachine(m.hostname)).toEqual(m);
  });

  it("never shows a secret power parameter", async () => {
    const inventory = await memoryInventory();
    const m = await inventory.addMachine({ interfaces: [{ mac: nextMac() }], power: { type: "redfish", params: { address: "https://bmc.example", username: "root", password: "topsecret" } } });
    const view = machineView(m, inventory.powerTypes);
    expect(JSON.stringify(view)).not.toContain("topsecret");
    expect(view.power.params).toEqual({ address: "https://bmc.example", username: "root", password: "********" });
  });

  const refusals: [string, object, string][] = [
    ["no MAC", { interfaces: [] }, "MISSING_ARGUMENT"],
    ["a malformed MAC", { interfaces: [{ mac: "52:54:00:zz:00:01" }] }, "INVALID_MAC"],
    ["the same MAC twice", { interfaces: [{ mac: "52:54:00:99:00:01" }, { mac: "52-54-00-99-00-01" }] }, "DUPLICATE_MAC"],
    ["a negative memory size", { memoryMib: -1 }, "INVALID_ARGUMENT"],
    ["a fractional CPU count", { cpus: 1.5 }, "INVALID_ARGUMENT"],
    ["a negative disk", { disks: [{ sizeBytes: -10 }] }, "INVALID_ARGUMENT"],
    ["a bad hostname", { hostname: "Bad_Host" }, "INVALID_ARGUMENT"],
    ["an unknown architecture", { architecture: "vax" }, "INVALID_ARGUMENT"],
    ["a bad tag", { tags: ["no spaces"] }, "INVALID_ARGUMENT"],
    ["no power type", { power: undefined }, "MISSING_ARGUMENT"],
    ["an unknown power type", { power: { type: "smoke-signals" } }, "UNKNOWN_POWER_TYPE"],
    ["an unknown power parameter", { power: { type: "ipmi", params: { address: "10.0.0.1", colour: "red" } } }, "INVALID_POWER_PARAMETER"],
    ["a missing required power parameter", { power: { type: "ipmi", params: {} } }, "INVALID_POWER_PARAMETER"],
    ["a malformed power parameter", { power: { type: "ipmi", params: { address: "10.0.0.1", port: "99999" } } }, "INVALID_POWER_PARAMETER"],
    ["two boot interfaces", { interfaces: [{ mac: "52:54:00:99:00:02", boot: true }, { mac: "52:54:00:99:00:03", boot: true }] }, "INVALID_ARGUMENT"],
  ];

  it.each(refusals)("refuses %s, and writes nothing", async (_name, override, code) => {
    const inventory = await memoryInventory();
    const input = { interfaces: [{ mac: nextMac() }], power: { type: "manual" }, ...override };
    const error = await inventory.addMachine(input as never).catch((e: unknown) => e);
    expect(isOrchestraError(error, code as never)).toBe(true);
    expect((error as Error).message.split("\n")).toHaveLength(1);
    expect(await inventory.listMachines()).toEqual([]);
  });

  it("refuses a MAC or hostname that another machine owns, and writes nothing", async () => {
    const inventory = await memoryInventory();
    const mac = nextMac();
    const first = await inventory.addMachine({ interfaces: [{ mac }], hostname: "alpha", power: { type: "manual" } });
    await expect(inventory.addMachine({ interfaces: [{ mac: nextMac() }, { mac: mac.toUpperCase() }], power: { type: "manual" } })).rejects.toMatchObject({
      code: "DUPLICATE_MAC",
      message: expect.stringContaining(first.systemId),
    });
    await expect(inventory.addMachine({ interfaces: [{ mac: nextMac() }], hostname: "alpha", power: { type: "manual" } })).rejects.toMatchObject({ code: "DUPLICATE_HOSTNAME" });
    expect(await inventory.listMachines()).toHaveLength(1);
    const nics = await inventory.db.all("SELECT mac FROM interfaces");
    expect(nics).toHaveLength(1);
  });

  it("answers an unknown machine with MACHINE_NOT_FOUND", async () => {
    const inventory = await memoryInventory();
    await expect(inventory.getMachine("bcdfgh")).rejects.toMatchObject({ code: "MACHINE_NOT_FOUND" });
    await expect(inventory.getMachine("52:54:00:00:00:99")).rejects.toMatchObject({ code: "MACHINE_NOT_FOUND" });
    await expect(inventory.transition("nobody", "ready", "x")).rejects.toMatchObject({ code: "MACHINE_NOT_FOUND" });
  });

  it("deletes a machine with its interfaces and events, but not one with an instance unless forced", async () => {
    const inventory = await memoryInventory();
    const m = await inventory.addMachine({ interfaces: [{ mac: nextMac() }], cpus: 1, memoryMib: 1024, power: { type: "fake" } });
    await inventory.accept(m.systemId);
    const { instance } = await inventory.allocate({}, "acct");
    await expect(inventory.deleteMachine(m.systemId)).rejects.toMatchObject({ code: "MACHINE_IN_USE" });
    await inventory.deleteMachine(m.systemId, { force: true });
    expect(await inventory.listMachines()).toEqual([]);
    expect(await inventory.db.all("SELECT * FROM interfaces")).toEqual([]);
    expect(await inventory.db.all("SELECT * FROM machine_events")).toEqual([]);
    const ended = await inventory.getInstance(instance.instanceId);
    expect(ended.endedAt).not.toBeNull();
    expect(ended.systemId).toBeNull();
  });

  it("lists with filters", async () => {
    const inventory = await memoryInventory();
    await inventory.addMachine({ interfaces: [{ mac: nextMac() }], zone: "a", tags: ["x"], power: { type: "manual" } });
    await inventory.addMachine({ interfaces: [{ mac: nextMac() }], zone: "b", architecture: "arm64", power: { type: "manual" } });
    expect(await inventory.listMachines({ zone: "a" })).toHaveLength(1);
    expect(await inventory.listMachines({ tag: "x" })).toHaveLength(1);
    expect(await inventory.listMachines({ architecture: "arm64" })).toHaveLength(1);
    expect(await inventory.listMachines({ status: "new" })).toHaveLength(2);
    await expect(inventory.listMachines({ status: "sleepy" })).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
  });
});

describe("instance types", () => {
  it("has built-ins, takes operator types once, and refuses bad ones", async () => {
    const inventory = await memoryInventory();
    const builtins = await inventory.listInstanceTypes();
    expect(builtins.find((t) => t.name === "m1.small")).toMatchObject({ cpus: 1, memoryMib: 1740, builtin: true });
    await inventory.defineInstanceType({ name: "bm.large", cpus: 16, memoryMib: 65536, diskGib: 1000, description: "big" });
    expect(await inventory.getInstanceType("bm.large")).toMatchObject({ cpus: 16, builtin: false });
    await expect(inventory.defineInstanceType({ name: "bm.large", cpus: 1, memoryMib: 1 })).rejects.toMatchObject({ code: "DUPLICATE_INSTANCE_TYPE" });
    await expect(inventory.defineInstanceType({ name: "m1.small", cpus: 1, memoryMib: 1 })).rejects.toMatchObject({ code: "DUPLICATE_INSTANCE_TYPE" });
    await expect(inventory.defineInstanceType({ name: "BAD", cpus: 1, memoryMib: 1 })).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
    await expect(inventory.defineInstanceType({ name: "bm.neg", cpus: -1, memoryMib: 1 })).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
    await expect(inventory.deleteInstanceType("m1.small")).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
    await inventory.deleteInstanceType("bm.large");
    await expect(inventory.getInstanceType("bm.large")).rejects.toMatchObject({ code: "INSTANCE_TYPE_NOT_FOUND" });
  });
});
