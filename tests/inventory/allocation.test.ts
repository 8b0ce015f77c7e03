import { describe, expect, it } from "vitest";
import { addReadyMachines, memoryInventory, nextMac } from "../helpers/inventory.ts";

describe("allocation", () => {
  it("picks the cheapest fitting machine (cpus + memory GiB), then the next", async () => {
    const inventory = await memoryInventory();
    const [big] = await addReadyMachines(inventory, 1, { cpus: 16, memoryMib: 65536 });
    const [small] = await addReadyMachines(inventory, 1, { cpus: 2, memoryMib: 4096 });
    const [medium] = await addReadyMachines(inventory, 1, { cpus: 4, memoryMib: 8192 });
    const order = [];
    for (let i = 0; i < 3; i++) order.push((await inventory.allocate({}, "acct")).machine.systemId);
    expect(order).toEqual([small, medium, big]);
  });

  it("hands out a new instance id, never the system id, and records the allocation", async () => {
    const inventory = await memoryInventory();
    const [id] = await addReadyMachines(inventory, 1);
    const { instance, machine } = await inventory.allocate({ instanceType: "m1.small" }, "acct");
    expect(instance.instanceId).toMatch(/^i-[0-9a-f]{17}$/);
    expect(instance.systemId).toBe(id);
    expect(machine.status).toBe("allocated");
    expect(instance.instanceType).toBe("m1.small");
    expect((await inventory.events(id!)).at(-1)!.reason).toContain(instance.instanceId);
  });

  const cases: [string, Parameters<typeof addReadyMachines>[2], Parameters<typeof addReadyMachines>[2], object][] = [
    ["instance type", { cpus: 1, memoryMib: 1024 }, { cpus: 2, memoryMib: 8192 }, { instanceType: "m5.large" }],
    ["architecture", { architecture: "amd64" }, { architecture: "arm64" }, { architecture: "arm64" }],
    ["zone", { zone: "rack-1" }, { zone: "rack-2" }, { zone: "rack-2" }],
    ["tags (all required)", { tags: ["ssd"] }, { tags: ["ssd", "gpu"] }, { tags: ["gpu", "ssd"] }],
    ["minimum cpus", { cpus: 4 }, { cpus: 8 }, { minCpus: 6 }],
    ["minimum memory", { memoryMib: 4096 }, { memoryMib: 16384 }, { minMemoryMib: 8192 }],
    ["minimum disk", { diskGib: 100 }, { diskGib: 500, cpus: 8 }, { minDiskGib: 200 }],
  ];

  it.each(cases)("honours %s: only the fitting machine is chosen, and then there is none", async (_name, cheapMisfit, fitting, constraints) => {
    const inventory = await memoryInventory();
    // The misfit is cheaper (or as cheap), so only the constraint can explain the choice.
    await addReadyMachines(inventory, 1, cheapMisfit);
    const [fit] = await addReadyMachines(inventory, 1, fitting);
    expect((await inventory.allocate(constraints, "acct")).machine.systemId).toBe(fit);
    await expect(inventory.allocate(constraints, "acct")).rejects.toMatchObject({ code: "NO_CAPACITY" });
  });

  it("answers an unknown instance type, bad constraints and bad accounts with clear errors", async () => {
    const inventory = await memoryInventory();
    await addReadyMachines(inventory, 1);
    await expect(inventory.allocate({ instanceType: "x9.huge" }, "acct")).rejects.toMatchObject({ code: "INSTANCE_TYPE_NOT_FOUND" });
    await expect(inventory.allocate({ minCpus: -1 }, "acct")).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
    await expect(inventory.allocate({ architecture: "vax" }, "acct")).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
    await expect(inventory.allocate({}, "bad account!")).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
    expect((await inventory.listMachines({ status: "ready" })).length).toBe(1);
  });

  it("only allocates ready machines", async () => {
    const inventory = await memoryInventory();
    await inventory.addMachine({ interfaces: [{ mac: nextMac() }], cpus: 4, memoryMib: 4096, power: { type: "manual" } });
    await expect(inventory.allocate({}, "acct")).rejects.toMatchObject({ code: "NO_CAPACITY", message: expect.stringContaining("no ready machine") });
  });

  it("uses operator-defined instance types", async () => {
    const inventory = await memoryInventory();
    await inventory.defineInstanceType({ name: "bm.storage", cpus: 2, memoryMib: 2048, diskGib: 400 });
    await addReadyMachines(inventory, 1, { diskGib: 100 });
    const [fit] = await addReadyMachines(inventory, 1, { diskGib: 1000, cpus: 16 });
    expect((await inventory.allocate({ instanceType: "bm.storage" }, "acct")).machine.systemId).toBe(fit);
  });
});

describe("concurrent allocation", () => {
  it("100 concurrent allocations against 50 ready machines: 50 distinct machines, 50 clear no-capacity answers", async () => {
    const inventory = await memoryInventory();
    await addReadyMachines(inventory, 50);
    const results = await Promise.allSettled(Array.from({ length: 100 }, (_, i) => inventory.allocate({}, `acct${i % 7}`)));
    const won = results.filter((r) => r.status === "fulfilled").map((r) => r.value.machine.systemId);
    const lost = results.filter((r) => r.status === "rejected").map((r) => r.reason);
    expect(won).toHaveLength(50);
    expect(new Set(won).size).toBe(50);
    expect(lost).toHaveLength(50);
    for (const reason of lost) expect(reason).toMatchObject({ code: "NO_CAPACITY" });
    const open = await inventory.db.all<{ n: number }>("SELECT COUNT(*) AS n FROM instances WHERE ended_at IS NULL");
    expect(Number(open[0]!.n)).toBe(50);
  });
});
