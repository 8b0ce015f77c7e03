/**
 * EC2 zone ids and subnet CIDRs are assigned once and stored: a zone that sorts first does
 * not renumber the others, a zone outlives its last machine until an operator removes it,
 * and a removed zone's index is never handed to another. On SQLite and on PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DescribeAvailabilityZonesCommand, DescribeSubnetsCommand, type EC2Client } from "@aws-sdk/client-ec2";
import { deleteZone } from "../../../lib/inventory/zone-rows.ts";
import { MIGRATIONS, migrate } from "../../../lib/store/migrations.ts";
import { openSqliteDatabase } from "../../../lib/store/sqlite-database.ts";
import { startEc2Harness, type Ec2Harness } from "../helpers/ec2-harness.ts";
import { startTestPostgres, type TestPostgres } from "../../helpers/postgres.ts";

async function zoneIds(client: EC2Client): Promise<Record<string, string>> {
  const zones = (await client.send(new DescribeAvailabilityZonesCommand({}))).AvailabilityZones ?? [];
  return Object.fromEntries(zones.map((z) => [z.ZoneName!, z.ZoneId!]));
}

async function subnets(client: EC2Client): Promise<Record<string, string>> {
  const list = (await client.send(new DescribeSubnetsCommand({}))).Subnets ?? [];
  return Object.fromEntries(list.map((s) => [s.AvailabilityZone!, `${s.SubnetId} ${s.CidrBlock}`]));
}

for (const backend of ["sqlite", "postgres"] as const) {
  describe(`zones on ${backend}`, () => {
    let postgres: TestPostgres | undefined;
    let harness: Ec2Harness;
    let client: EC2Client;
    beforeAll(async () => {
      postgres = backend === "postgres" ? await startTestPostgres() : undefined;
      harness = await startEc2Harness(postgres ? { databaseUrl: postgres.url } : {});
      client = await harness.client("alice");
    }, 60_000);
    afterAll(async () => {
      await harness?.close();
      await postgres?.stop();
    });

    it("keeps every zone id and subnet when a zone that sorts first arrives", async () => {
      const [rackB] = await harness.addMachines(1, { zone: "rack-b" });
      const idsBefore = await zoneIds(client);
      const subnetsBefore = await subnets(client);
      expect(idsBefore).toEqual({ default: "orchestra-az1", "rack-b": "orchestra-az2" });
      await harness.addMachines(1, { zone: "aaa" });
      const idsAfter = await zoneIds(client);
      const subnetsAfter = await subnets(client);
      expect(idsAfter).toEqual({ ...idsBefore, aaa: "orchestra-az3" });
      expect(subnetsAfter).toMatchObject(subnetsBefore);
      expect(subnetsAfter.aaa).toMatch(/ 10\.20\.2\.0\/24$/);

      // The zone's last machine goes; the zone, its id and its subnet stay.
      await harness.services.inventory.deleteMachine(rackB!, { force: true });
      expect(await zoneIds(client)).toEqual(idsAfter);
      expect(await subnets(client)).toEqual(subnetsAfter);
    });

    it("removes a zone only on an operator's word, and never reuses its index", async () => {
      const { db } = harness.services;
      await expect(db.transaction((tx) => deleteZone(tx, "aaa", new Date().toISOString()))).rejects.toMatchObject({ code: "ZONE_IN_USE" });
      await expect(db.transaction((tx) => deleteZone(tx, "default", new Date().toISOString()))).rejects.toMatchObject({ code: "ZONE_IN_USE" });
      await db.transaction((tx) => deleteZone(tx, "rack-b", new Date().toISOString()));
      expect(Object.keys(await zoneIds(client)).sort()).toEqual(["aaa", "default"]);
      await harness.addMachines(1, { zone: "zzz" });
      expect((await zoneIds(client)).zzz).toBe("orchestra-az4");
      // Named again, a removed zone comes back with its own id.
      await harness.addMachines(1, { zone: "rack-b" });
      expect((await zoneIds(client))["rack-b"]).toBe("orchestra-az2");
    });
  });
}

describe("the zones migration", () => {
  it("gives an existing store's zones the ids they had (name order), so nothing moves on upgrade", async () => {
    const db = openSqliteDatabase(":memory:");
    try {
      const zonesStep = MIGRATIONS.findIndex((m) => m.name === "zones with stable indexes");
      await migrate(db, MIGRATIONS.slice(0, zonesStep));
      for (const [id, zone, status] of [["aaaaaa", "rack-b", "ready"], ["bbbbbb", "aaa", "new"], ["cccccc", "gone", "retired"]]) {
        await db.run(
          "INSERT INTO machines (system_id, hostname, architecture, cpus, memory_mib, storage_bytes, disks, hardware, zone, tags, power_type, power_params, status, status_message, status_changed_at, created_at, updated_at) VALUES ($1, $1, 'amd64', 1, 1024, 0, '[]', '{}', $2, '[]', 'manual', '{}', $3, '', 't', 't', 't')",
          [id!, zone!, status!],
        );
      }
      await migrate(db);
      const rows = await db.all<{ name: string; zone_index: number }>("SELECT name, zone_index FROM zones ORDER BY zone_index");
      expect(rows.map((r) => [r.name, Number(r.zone_index)])).toEqual([["aaa", 0], ["default", 1], ["rack-b", 2]]);
    } finally {
      await db.close();
    }
  });
});
