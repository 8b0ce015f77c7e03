/**
 * @module store/migrations
 * The schema, as an append-only list of versioned steps. A step is never edited once it has
 * shipped: change the schema by appending a step. DDL is the one place SQL differs between
 * SQLite and PostgreSQL, so a step may render per dialect.
 */
import { OrchestraError } from "../errors.ts";
import type { SqlDatabase, SqlDialect } from "./sql-database.ts";
import { EC2_DESCRIBE_INDEX_MIGRATION, EC2_INSTANCE_ATTRIBUTES_MIGRATION, EC2_KEYED_ROWS_MIGRATION, EC2_MIGRATION } from "../ec2/model/ec2-schema.ts";
import { METADATA_ADDRESS_INDEX_MIGRATION, METADATA_MIGRATION } from "../metadata/metadata-schema.ts";
import { ENGINE_MIGRATION } from "../engine/power-action-rows.ts";
import { POWER_REQUEST_MIGRATION } from "../inventory/power-request.ts";
import { DEPLOYMENT_MIGRATION } from "../deploy/deployment-schema.ts";
import { ERASURE_MIGRATION } from "../deploy/erasure-rows.ts";
import { NODE_TOKEN_MIGRATION } from "../boot/node-token.ts";
import { MAAS_MIGRATION } from "../maas/model/maas-schema.ts";
import { ZONE_MIGRATION } from "../inventory/zone-rows.ts";
import { MACHINES_BY_STATUS_MIGRATION, REDACTED_POWER_MIGRATION } from "../inventory/machine-rows.ts";
import { LISTING_TEXT_MIGRATION } from "../inventory/machine-listing-text-16.ts";
import { LISTING_VOLATILE_MIGRATION } from "../inventory/machine-listing-text.ts";
import { NODE_CREDENTIALS_MIGRATION } from "../pki/node-credentials-schema.ts";
import { DASHBOARD_MIGRATION } from "../dashboard/dashboard-schema.ts";

/** One schema step. */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly statements: (dialect: SqlDialect) => readonly string[];
}

/** Every schema step, oldest first. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "inventory",
    statements: () => [
      `CREATE TABLE machines (
        system_id TEXT PRIMARY KEY,
        hostname TEXT NOT NULL UNIQUE,
        architecture TEXT NOT NULL,
        cpus INTEGER NOT NULL,
        memory_mib BIGINT NOT NULL,
        storage_bytes BIGINT NOT NULL,
        disks TEXT NOT NULL,
        hardware TEXT NOT NULL,
        zone TEXT NOT NULL,
        tags TEXT NOT NULL,
        power_type TEXT NOT NULL,
        power_params TEXT NOT NULL,
        status TEXT NOT NULL,
        status_message TEXT NOT NULL,
        status_changed_at TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      )`,
      "CREATE INDEX machines_by_status ON machines (status)",
      // Allocation walks ready machines cheapest first (MAAS's cost: cpus + memory in GiB).
      "CREATE INDEX machines_by_cost ON machines (status, (cpus + memory_mib / 1024.0), system_id)",
      `CREATE TABLE interfaces (
        mac TEXT PRIMARY KEY,
        machine_id TEXT NOT NULL REFERENCES machines (system_id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        boot INTEGER NOT NULL,
        position INTEGER NOT NULL
      )`,
      "CREATE INDEX interfaces_by_machine ON interfaces (machine_id)",
      `CREATE TABLE machine_events (
        machine_id TEXT NOT NULL REFERENCES machines (system_id) ON DELETE CASCADE,
        seq INTEGER NOT NULL,
        at TEXT NOT NULL,
        from_status TEXT,
        to_status TEXT NOT NULL,
        reason TEXT NOT NULL,
        PRIMARY KEY (machine_id, seq)
      )`,
      `CREATE TABLE instance_types (
        name TEXT PRIMARY KEY,
        cpus INTEGER NOT NULL,
        memory_mib BIGINT NOT NULL,
        disk_gib BIGINT NOT NULL,
        description TEXT NOT NULL,
        created_at TEXT NOT NULL
      )`,
      `CREATE TABLE instances (
        instance_id TEXT PRIMARY KEY,
        machine_id TEXT REFERENCES machines (system_id) ON DELETE SET NULL,
        account TEXT NOT NULL,
        instance_type TEXT,
        constraints TEXT NOT NULL,
        created_at TEXT NOT NULL,
        ended_at TEXT
      )`,
      // The database itself refuses a second open instance on one machine: the last line of
      // defence behind the allocation transaction.
      "CREATE UNIQUE INDEX instances_one_open_per_machine ON instances (machine_id) WHERE ended_at IS NULL",
      "CREATE INDEX instances_by_account ON instances (account)",
    ],
  },
  EC2_MIGRATION,
  METADATA_MIGRATION,
  ENGINE_MIGRATION,
  POWER_REQUEST_MIGRATION,
  DEPLOYMENT_MIGRATION,
  ERASURE_MIGRATION,
  NODE_TOKEN_MIGRATION,
  EC2_INSTANCE_ATTRIBUTES_MIGRATION,
  MAAS_MIGRATION,
  ZONE_MIGRATION,
  NODE_CREDENTIALS_MIGRATION,
  EC2_DESCRIBE_INDEX_MIGRATION,
  DASHBOARD_MIGRATION,
  REDACTED_POWER_MIGRATION,
  LISTING_TEXT_MIGRATION,
  LISTING_VOLATILE_MIGRATION,
  EC2_KEYED_ROWS_MIGRATION,
  METADATA_ADDRESS_INDEX_MIGRATION,
  MACHINES_BY_STATUS_MIGRATION,
];

/**
 * Refuse a list whose versions are not 1, 2, 3 ... in order: two features that each added
 * "the next" step on their own branches would otherwise share a number, and `migrate` would
 * skip the second on every store that has the first.
 */
export function checkMigrationOrder(migrations: readonly Migration[]): void {
  migrations.forEach((migration, index) => {
    if (migration.version !== index + 1) {
      throw new Error(`migration ${migration.name} has version ${migration.version} at position ${index + 1}: versions must run 1, 2, 3 ... with no gap or repeat`);
    }
  });
}

/** Bring the database's schema up to the newest version; returns the versions applied. */
export async function migrate(db: SqlDatabase, migrations: readonly Migration[] = MIGRATIONS): Promise<number[]> {
  checkMigrationOrder(migrations);
  return db.transaction(async (tx) => {
    await tx.run("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)");
    const row = await tx.get<{ version: number | null }>("SELECT MAX(version) AS version FROM schema_migrations");
    const current = row?.version ?? 0;
    const newest = migrations.at(-1)?.version ?? 0;
    if (current > newest) {
      throw new OrchestraError("STORE_SCHEMA_TOO_NEW", `the store has schema version ${current}, newer than this Orchestra knows (${newest}); upgrade Orchestra`, { current, newest });
    }
    const applied: number[] = [];
    for (const migration of migrations) {
      if (migration.version <= current) continue;
      for (const statement of migration.statements(tx.dialect)) await tx.run(statement);
      await tx.run("INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)", [migration.version, migration.name, new Date().toISOString()]);
      applied.push(migration.version);
    }
    return applied;
  });
}
