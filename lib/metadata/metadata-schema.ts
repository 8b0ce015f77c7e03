/**
 * @module metadata/metadata-schema
 * The metadata service's table, as a store migration step (appended to lib/store/migrations.ts).
 */
import type { Migration } from "../store/migrations.ts";

/** Schema step 3: what the metadata service tells one instance's node about itself. */
export const METADATA_MIGRATION: Migration = {
  version: 3,
  name: "instance_metadata",
  statements: () => [
    // The machine, the account and the launch time come from the instances row: not written twice.
    `CREATE TABLE instance_metadata (
      instance_id TEXT PRIMARY KEY REFERENCES instances (instance_id) ON DELETE CASCADE,
      local_ipv4 TEXT,
      hostname TEXT NOT NULL,
      mac TEXT,
      ami_id TEXT,
      instance_type TEXT,
      zone TEXT NOT NULL,
      region TEXT NOT NULL,
      public_keys TEXT NOT NULL,
      user_data TEXT,
      vendor_data TEXT,
      nocloud_secret TEXT UNIQUE,
      updated_at TEXT NOT NULL
    )`,
    "CREATE INDEX instance_metadata_by_ipv4 ON instance_metadata (local_ipv4)",
  ],
};

/**
 * Schema step 19: the address index holds only known addresses. An instance is launched
 * without one (its node tells it later), and the NULL entry its launch wrote was a page of
 * the launch's commit; every lookup asks for one address, never for none.
 */
export const METADATA_ADDRESS_INDEX_MIGRATION: Migration = {
  version: 19,
  name: "instance_metadata address index without NULLs",
  statements: () => ["DROP INDEX instance_metadata_by_ipv4", "CREATE INDEX instance_metadata_by_ipv4 ON instance_metadata (local_ipv4) WHERE local_ipv4 IS NOT NULL"],
};
