/**
 * @module pki/node-credentials-schema
 * The node credentials table, as a store migration step (appended to lib/store/migrations.ts).
 */
import type { Migration } from "../store/migrations.ts";

/** Schema step 8: each instance's client certificate, its key and its one-time puppet challenge. */
export const NODE_CREDENTIALS_MIGRATION: Migration = {
  version: 12,
  name: "node_credentials",
  statements: () => [
    // No revoked flag: a credential is valid only while its instance is open (ended_at IS
    // NULL), so terminate revokes it in the same write that ends the instance.
    `CREATE TABLE node_credentials (
      instance_id TEXT PRIMARY KEY REFERENCES instances (instance_id) ON DELETE CASCADE,
      cert_pem TEXT NOT NULL,
      key_pem TEXT NOT NULL,
      serial TEXT NOT NULL UNIQUE,
      not_after TEXT NOT NULL,
      challenge TEXT NOT NULL UNIQUE,
      challenge_used_at TEXT,
      created_at TEXT NOT NULL
    )`,
  ],
};
