import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Inventory, type ListMachinesFilter } from "../../lib/inventory/index.ts";
import { openStore } from "../../lib/store/open-store.ts";
import type { SqlDatabase } from "../../lib/store/sql-database.ts";
import { tempDataDir } from "../helpers/inventory.ts";
import { addVariedMachines as addVaried, viewsJson as viewsOf } from "../helpers/varied-machines.ts";

// The listing SQLite writes must be, byte for byte, what JSON.stringify makes of the views
// built in JavaScript (machineView, the one shape every output has): PostgreSQL and every
// other output use that path. tests/inventory/machine-listing-text.test.ts holds the stored
// texts to it after every kind of write.
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

const addVariedMachines = () => addVaried(inventory);
const viewsJson = (filter: ListMachinesFilter, indent: number) => viewsOf(inventory, filter, indent);

describe("the machine listing (machines list --json)", () => {
  it("is the text JSON.stringify makes of the machines' views, compact and indented, with no secret in it", async () => {
    await addVariedMachines();
    // 2 is what the CLI prints and what the stored texts hold; any other is reformatted, as JSON.stringify would (at most 10 spaces).
    for (const indent of [0, 1, 2, 4, 10, 12]) {
      const listing = await inventory.listMachinesJson({}, indent);
      expect(listing).toBe(await viewsJson({}, indent));
      expect(listing).not.toContain("s3cret");
    }
    const listed = JSON.parse(await inventory.listMachinesJson());
    expect(listed).toHaveLength(9);
    const ipmi = listed.find((m: { hostname: string }) => m.hostname === "ipmi-node");
    expect(ipmi.power).toEqual({ type: "ipmi", params: { address: "192.0.2.10", username: "admin", password: "********" }, testOnly: false });
    expect(ipmi.interfaces.map((i: { name: string; boot: boolean }) => `${i.name}:${i.boot}`)).toEqual(["eno1:false", "eno2:true", "eno3:false"]);
    expect(listed.filter((m: { instance: unknown }) => m.instance !== null).map((m: { instance: unknown }) => m.instance)).toEqual([{ instanceId: expect.stringMatching(/^i-/), account: "alice" }]);
  });

  it("narrows by status, zone, architecture and tag as listMachines does", async () => {
    await addVariedMachines();
    const filters: ListMachinesFilter[] = [{ status: "ready" }, { status: "broken" }, { zone: "zone-a" }, { architecture: "arm64" }, { tag: "ssd" }, { tag: "gpu", zone: "zone-b" }, { tag: "nowhere" }, { status: "deployed" }];
    for (const filter of filters) expect(await inventory.listMachinesJson(filter, 2), JSON.stringify(filter)).toBe(await viewsJson(filter, 2));
    expect(await inventory.listMachinesJson({ tag: "nowhere" }, 2)).toBe("[]");
  });

  it("is an empty array when no machine is listed, at every indent", async () => {
    for (const indent of [0, 2, 4]) expect(await inventory.listMachinesJson({}, indent)).toBe(JSON.stringify([], null, indent));
  });

  it("refuses a malformed filter as listMachines does", async () => {
    await expect(inventory.listMachinesJson({ status: "sleeping" })).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
    await expect(inventory.listMachinesJson({ tag: "no spaces" })).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
  });

  it("fills the redacted power settings of rows written before they were kept, from the sealed ones", async () => {
    await addVariedMachines();
    const expected = await viewsJson({}, 2);
    await db.run("UPDATE machines SET power_params_redacted = NULL");
    expect(await inventory.listMachinesJson({}, 2)).toBe(expected);
    const left = await db.get<{ n: number }>("SELECT COUNT(*) AS n FROM machines WHERE power_params_redacted IS NULL");
    expect(Number(left?.n)).toBe(0);
  });

  it("shows power settings changed by update, which stores them sealed", async () => {
    await addVariedMachines();
    await inventory.updateMachine("ipmi-node", { powerParams: { address: "192.0.2.99", password: "n3w-secret" } });
    const row = await db.get<{ power_params: string }>("SELECT power_params FROM machines WHERE hostname = 'ipmi-node'");
    expect(row?.power_params).toMatch(/^sealed:/);
    const listing = await inventory.listMachinesJson();
    expect(listing).not.toContain("n3w-secret");
    expect(JSON.parse(listing).find((m: { hostname: string }) => m.hostname === "ipmi-node").power.params).toEqual({ address: "192.0.2.99", username: "admin", password: "********" });
    expect(listing).toBe(await viewsJson({}, 0));
    expect((await inventory.getMachine("ipmi-node")).power.params.password).toBe("n3w-secret");
  });
});
