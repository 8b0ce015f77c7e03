/**
 * @module maas/model/maas-schema
 * The MAAS API's own rows: its API keys (secrets sealed like EC2 secrets), and what a MAAS
 * client attaches to an allocation (agent name, the OS it asked for, owner data). Allocation
 * rows hang off the inventory's instance, so they end with it: a released machine carries
 * no earlier owner's data.
 */
import type { Migration } from "../../store/migrations.ts";

export const MAAS_MIGRATION: Migration = {
  version: 10,
  name: "maas api",
  statements: () => [
    `CREATE TABLE maas_api_keys (
      token_key TEXT PRIMARY KEY,
      consumer_key TEXT NOT NULL,
      account TEXT NOT NULL,
      sealed_secret TEXT NOT NULL,
      created_at TEXT NOT NULL,
      revoked_at TEXT
    )`,
    `CREATE TABLE maas_allocations (
      instance_id TEXT PRIMARY KEY REFERENCES instances (instance_id) ON DELETE CASCADE,
      agent_name TEXT NOT NULL DEFAULT '',
      comment TEXT NOT NULL DEFAULT '',
      osystem TEXT NOT NULL DEFAULT '',
      distro_series TEXT NOT NULL DEFAULT '',
      hwe_kernel TEXT NOT NULL DEFAULT '',
      powered_off INTEGER NOT NULL DEFAULT 0
    )`,
    `CREATE TABLE maas_owner_data (
      instance_id TEXT NOT NULL REFERENCES instances (instance_id) ON DELETE CASCADE,
      key TEXT NOT NULL,
      value TEXT NOT NULL,
      PRIMARY KEY (instance_id, key)
    )`,
  ],
};
