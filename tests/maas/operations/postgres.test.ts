/**
 * The MAAS API on the PostgreSQL store (a real throwaway cluster): keys, allocate, owner
 * data, deploy, reads and release, so the MAAS SQL is proven portable and not only on SQLite.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestPostgres, type TestPostgres } from "../../helpers/postgres.ts";
import { maasSnapshot, startMaasHarness, type MaasHarness } from "../helpers/maas-harness.ts";

let server: TestPostgres;
let harness: MaasHarness;

beforeAll(async () => {
  server = await startTestPostgres();
  harness = await startMaasHarness({ databaseUrl: server.url });
  await harness.addMachines(2, { zone: "rack-1" });
}, 60_000);
afterAll(async () => {
  await harness?.close();
  await server?.stop();
});

describe("the MAAS API on PostgreSQL", () => {
  it("allocates, keeps owner data, deploys, reads and releases", async () => {
    const maas = await harness.maas("pg");
    const other = await harness.maas("other");
    const allocated = await maas.post("machines/", "allocate", { zone: "rack-1", agent_name: "pg-agent" });
    expect(allocated.status, allocated.text).toBe(200);
    const id = allocated.json.system_id as string;
    expect((await maas.post(`machines/${id}/`, "set_owner_data", { model: "m" })).json.owner_data).toEqual({ model: "m" });
    const before = await maasSnapshot(harness.services);
    expect((await other.post(`machines/${id}/`, "deploy")).status).toBe(404);
    expect(await maasSnapshot(harness.services)).toBe(before);
    const deployed = await maas.post(`machines/${id}/`, "deploy", { distro_series: "jammy", user_data: Buffer.from("#!/bin/sh\n").toString("base64") });
    expect(deployed.json).toMatchObject({ status_name: "Deployed", owner: "pg", owner_data: { model: "m" } });
    expect((await maas.get("machines/", { agent_name: "pg-agent" })).json).toHaveLength(1);
    expect((await other.get("machines/")).json).toHaveLength(1);
    expect((await maas.get("subnets/")).json.map((s: { cidr: string }) => s.cidr)).toEqual(["10.0.0.0/24", "10.0.1.0/24"]);
    expect((await maas.post(`machines/${id}/`, "release")).json).toMatchObject({ status_name: "Ready", owner: null, owner_data: {} });
    expect((await maas.post("machines/", "allocate", { zone: "rack-1", cpu_count: "99" })).status).toBe(409);
  });
});
