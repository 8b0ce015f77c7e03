/**
 * @module inventory/zone-rows
 * Availability zones as rows of their own. A zone gets its index once, the first time a
 * machine names it, and keeps it: EC2 zone ids (`REGION-azN`) and each zone's subnet CIDR
 * derive from that index, and clients (Juju, Terraform, Ansible) cache both, so adding a
 * zone that sorts first must not renumber the others. A zone outlives its last machine
 * until an operator removes it (`orchestra zones delete`).
 */
import { OrchestraError } from "../errors.ts";
import type { Migration } from "../store/migrations.ts";
import type { SqlExecutor } from "../store/sql-database.ts";
import { DEFAULT_ZONE } from "./machine-input.ts";

/** A zone and the index its ids derive from. */
export interface Zone {
  readonly name: string;
  /** Assigned once, never changed: 0 for the first zone ever seen, then 1, 2, ... */
  readonly index: number;
  readonly createdAt: string;
}

/**
 * The zones table. An existing store's zones (its machines' zones and the default zone) get
 * indexes in name order, which is the order the ids were derived from before, so no id a
 * client has seen changes on upgrade. Byte order on both backends, as JavaScript sorts.
 */
export const ZONE_MIGRATION: Migration = {
  version: 11,
  name: "zones with stable indexes",
  statements: (dialect) => [
    `CREATE TABLE zones (
      name TEXT PRIMARY KEY,
      zone_index INTEGER NOT NULL UNIQUE,
      created_at TEXT NOT NULL,
      removed_at TEXT
    )`,
    `INSERT INTO zones (name, zone_index, created_at)
      SELECT name, ROW_NUMBER() OVER (ORDER BY name${dialect === "postgres" ? ' COLLATE "C"' : ""}) - 1, '${new Date().toISOString()}'
      FROM (SELECT '${DEFAULT_ZONE}' AS name UNION SELECT zone FROM machines WHERE status <> 'retired') AS existing`,
  ],
};

/**
 * Record `name` as a zone with the next index never used, unless it is one already; a removed
 * zone named again comes back with its old index. Inside the writer's transaction.
 */
export async function ensureZone(tx: SqlExecutor, name: string, at: string): Promise<void> {
  await tx.run("UPDATE zones SET removed_at = NULL WHERE name = $1 AND removed_at IS NOT NULL", [name]);
  await tx.run(
    "INSERT INTO zones (name, zone_index, created_at) SELECT CAST($1 AS TEXT), COALESCE((SELECT MAX(zone_index) FROM zones), -1) + 1, CAST($2 AS TEXT) WHERE NOT EXISTS (SELECT 1 FROM zones WHERE name = $1)",
    [name, at],
  );
}

/** Every zone, by name. */
export async function selectZones(db: SqlExecutor): Promise<Zone[]> {
  const rows = await db.all<{ name: string; zone_index: number; created_at: string }>("SELECT name, zone_index, created_at FROM zones WHERE removed_at IS NULL");
  return rows.map((r) => ({ name: r.name, index: Number(r.zone_index), createdAt: r.created_at })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Remove a zone no machine is in. The row stays, marked removed, so its index is never given to another zone. */
export async function deleteZone(tx: SqlExecutor, name: string, at: string): Promise<Zone> {
  const zone = (await selectZones(tx)).find((z) => z.name === name);
  if (!zone) throw new OrchestraError("ZONE_NOT_FOUND", `no zone is named ${JSON.stringify(name)}`, { zone: name });
  if (name === DEFAULT_ZONE) throw new OrchestraError("ZONE_IN_USE", `the ${DEFAULT_ZONE} zone cannot be removed: machines added without --zone go there`, { zone: name });
  const used = await tx.get<{ n: number }>("SELECT COUNT(*) AS n FROM machines WHERE zone = $1", [name]);
  if (Number(used?.n ?? 0) > 0) throw new OrchestraError("ZONE_IN_USE", `zone ${name} still has ${used!.n} machine(s): move or delete them first`, { zone: name, machines: Number(used!.n) });
  await tx.run("UPDATE zones SET removed_at = $2 WHERE name = $1", [name, at]);
  return zone;
}
