import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Inventory } from "../../lib/inventory/index.ts";
import { MIGRATIONS } from "../../lib/store/migrations.ts";
import { openStore } from "../../lib/store/open-store.ts";
import type { SqlDatabase } from "../../lib/store/sql-database.ts";
import { addReadyMachines, nextMac } from "../helpers/inventory.ts";
import { startTestPostgres, type TestPostgres } from "../helpers/postgres.ts";

// The same inventory code on a real PostgreSQL server: the store backend for several units.
// Units sharing one database share the data directory's key file too (secrets are sealed
// with it, EC2's and the store's alike): every open here names the same directory.
const keyDir = mkdtempSync(join(tmpdir(), "orchestra-pg-key-"));
afterAll(() => rmSync(keyDir, { recursive: true, force: true }));
let server: TestPostgres;
beforeAll(async () => {
  server = await startTestPostgres();
});
afterAll(async () => {
  await server?.stop();
});

async function freshInventory(): Promise<{ inventory: Inventory; db: SqlDatabase }> {
  const db = await openStore(keyDir, { databaseUrl: server.url });
  // One cluster serves every test: start each from empty tables.
  await db.transaction(async (tx) => {
    for (const table of ["machine_events", "interfaces", "instances", "instance_types"]) await tx.run(`DELETE FROM ${table}`);
    await tx.run("DELETE FROM machines");
  });
  return { inventory: new Inventory(db), db };
}

describe("the PostgreSQL store", () => {
  it("applies every migration once, and a second open applies none", async () => {
    const db = await openStore(keyDir, { databaseUrl: server.url });
    const versions = await db.all<{ version: number }>("SELECT version FROM schema_migrations ORDER BY version");
    expect(versions.map((v) => v.version)).toEqual(MIGRATIONS.map((m) => m.version));
    await db.close();
    const again = await openStore(keyDir, { databaseUrl: server.url });
    expect(await again.all("SELECT version FROM schema_migrations")).toHaveLength(MIGRATIONS.length);
    await again.close();
  });

  it("runs the inventory: add, refuse a duplicate MAC, commission, allocate, deploy, release, events", async () => {
    const { inventory, db } = await freshInventory();
    const mac = nextMac();
    const m = await inventory.addMachine({ interfaces: [{ mac }], cpus: 4, memoryMib: 8192, disks: [{ sizeBytes: 2 * 1024 ** 4 }], power: { type: "fake" } });
    await expect(inventory.addMachine({ interfaces: [{ mac }], power: { type: "fake" } })).rejects.toMatchObject({ code: "DUPLICATE_MAC" });
    expect((await inventory.accept(m.systemId)).status).toBe("ready");
    const { instance } = await inventory.allocate({ instanceType: "m5.large", minDiskGib: 1000 }, "acct");
    expect((await inventory.startDeployment(m.systemId)).status).toBe("deployed");
    expect((await inventory.release(m.systemId)).status).toBe("ready");
    expect((await inventory.getInstance(instance.instanceId)).endedAt).not.toBeNull();
    expect((await inventory.events(m.systemId)).map((e) => e.to)).toEqual(["new", "commissioning", "ready", "allocated", "deploying", "deployed", "releasing", "ready"]);
    const listed = await inventory.listMachines();
    expect(listed).toHaveLength(1);
    expect(listed[0]!.disks[0]!.sizeBytes).toBe(2 * 1024 ** 4);
    await expect(inventory.transition(m.systemId, "deployed", "x")).rejects.toMatchObject({ code: "ILLEGAL_TRANSITION" });
    await db.close();
  });

  it("100 concurrent allocations from two connections pools against 50 ready machines: 50 distinct, 50 no-capacity", async () => {
    const { inventory, db } = await freshInventory();
    await addReadyMachines(inventory, 50);
    const other = await openStore(keyDir, { databaseUrl: server.url });
    const second = new Inventory(other);
    const results = await Promise.allSettled(Array.from({ length: 100 }, (_, i) => (i % 2 ? inventory : second).allocate({}, "acct")));
    const won = results.filter((r) => r.status === "fulfilled").map((r) => r.value.machine.systemId);
    expect(won).toHaveLength(50);
    expect(new Set(won).size).toBe(50);
    for (const r of results.filter((r) => r.status === "rejected")) expect(r.reason).toMatchObject({ code: "NO_CAPACITY" });
    await other.close();
    await db.close();
  });

  it("reports an unreachable server without leaking the password", async () => {
    const error = await openStore("unused", { databaseUrl: "postgresql://u:sekrit@127.0.0.1:1/db" }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "STORE_UNAVAILABLE" });
    expect((error as Error).message).not.toContain("sekrit");
  });
});
