/**
 * @module ec2/model/ec2-schema
 * The EC2 API's own tables, appended to the store's migrations. The inventory owns machines
 * and instances (allocations); these add what EC2 says about them and the account-scoped
 * resources (credentials, security groups, key pairs, tags, idempotency tokens).
 */
import type { Migration } from "../../store/migrations.ts";

/** Schema step 2: the EC2 API. */
export const EC2_MIGRATION: Migration = {
  version: 2,
  name: "ec2-api",
  statements: () => [
    `CREATE TABLE ec2_accounts (
      name TEXT PRIMARY KEY,
      account_id TEXT NOT NULL UNIQUE,
      created_at TEXT NOT NULL
    )`,
    // The secret is sealed with the key file in the data directory, never stored plain.
    `CREATE TABLE ec2_credentials (
      access_key_id TEXT PRIMARY KEY,
      account TEXT NOT NULL REFERENCES ec2_accounts (name),
      sealed_secret TEXT NOT NULL,
      created_at TEXT NOT NULL,
      revoked_at TEXT
    )`,
    `CREATE TABLE ec2_instances (
      instance_id TEXT PRIMARY KEY REFERENCES instances (instance_id),
      account TEXT NOT NULL,
      reservation_id TEXT NOT NULL,
      launch_index INTEGER NOT NULL,
      image_id TEXT NOT NULL,
      instance_type TEXT NOT NULL,
      key_name TEXT,
      zone TEXT NOT NULL,
      subnet_id TEXT NOT NULL,
      vpc_id TEXT NOT NULL,
      user_data TEXT,
      client_token TEXT,
      powered_off INTEGER NOT NULL,
      launched_at TEXT NOT NULL,
      state_reason TEXT
    )`,
    "CREATE INDEX ec2_instances_by_account ON ec2_instances (account, instance_id)",
    `CREATE TABLE ec2_instance_groups (
      instance_id TEXT NOT NULL REFERENCES ec2_instances (instance_id),
      group_id TEXT NOT NULL,
      position INTEGER NOT NULL,
      PRIMARY KEY (instance_id, group_id)
    )`,
    "CREATE INDEX ec2_instance_groups_by_group ON ec2_instance_groups (group_id)",
    `CREATE TABLE ec2_client_tokens (
      account TEXT NOT NULL,
      client_token TEXT NOT NULL,
      request_digest TEXT NOT NULL,
      reservation_id TEXT NOT NULL,
      created_at TEXT NOT NULL,
      PRIMARY KEY (account, client_token)
    )`,
    `CREATE TABLE ec2_security_groups (
      group_id TEXT PRIMARY KEY,
      account TEXT NOT NULL,
      group_name TEXT NOT NULL,
      description TEXT NOT NULL,
      vpc_id TEXT NOT NULL,
      created_at TEXT NOT NULL,
      UNIQUE (account, vpc_id, group_name)
    )`,
    // Absent ports and sources are stored as -1 and '' so the UNIQUE constraint sees them.
    `CREATE TABLE ec2_security_group_rules (
      rule_id TEXT PRIMARY KEY,
      group_id TEXT NOT NULL REFERENCES ec2_security_groups (group_id) ON DELETE CASCADE,
      direction TEXT NOT NULL,
      ip_protocol TEXT NOT NULL,
      from_port INTEGER NOT NULL,
      to_port INTEGER NOT NULL,
      cidr TEXT NOT NULL,
      source_group_id TEXT NOT NULL,
      description TEXT NOT NULL,
      UNIQUE (group_id, direction, ip_protocol, from_port, to_port, cidr, source_group_id)
    )`,
    `CREATE TABLE ec2_key_pairs (
      key_pair_id TEXT PRIMARY KEY,
      account TEXT NOT NULL,
      key_name TEXT NOT NULL,
      key_type TEXT NOT NULL,
      fingerprint TEXT NOT NULL,
      public_key TEXT NOT NULL,
      created_at TEXT NOT NULL,
      UNIQUE (account, key_name)
    )`,
    `CREATE TABLE ec2_tags (
      account TEXT NOT NULL,
      resource_id TEXT NOT NULL,
      key TEXT NOT NULL,
      value TEXT NOT NULL,
      PRIMARY KEY (account, resource_id, key)
    )`,
  ],
};

/**
 * Schema step 8: the instance attributes infrastructure-as-code tools read and set
 * (DescribeInstanceAttribute, ModifyInstanceAttribute). Defaults are AWS's.
 */
export const EC2_INSTANCE_ATTRIBUTES_MIGRATION: Migration = {
  version: 9,
  name: "ec2-instance-attributes",
  statements: () => [
    "ALTER TABLE ec2_instances ADD COLUMN disable_api_termination INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE ec2_instances ADD COLUMN disable_api_stop INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE ec2_instances ADD COLUMN shutdown_behavior TEXT NOT NULL DEFAULT 'stop'",
  ],
};

/**
 * Schema step 13: indexes DescribeInstances reads by. It streams an account's instances in
 * (reservation, launch index) order a batch at a time, and narrows by tag in SQL
 * (./instance-filter-sql.ts): both were full scans and sorts of every row before.
 * (Numbered 13 on its branch: renumber if another step took 13 first.)
 */
export const EC2_DESCRIBE_INDEX_MIGRATION: Migration = {
  version: 13,
  name: "ec2-describe-indexes",
  statements: () => [
    "CREATE INDEX ec2_instances_by_reservation ON ec2_instances (account, reservation_id, launch_index)",
    "CREATE INDEX ec2_instances_by_zone ON ec2_instances (account, zone)",
    "CREATE INDEX ec2_tags_by_key ON ec2_tags (account, key, value)",
    // Each instance's boot interface, found without sorting the machine's interfaces per row.
    "CREATE INDEX interfaces_by_machine_boot ON interfaces (machine_id, boot DESC, position)",
  ],
};

/**
 * Schema step 18 (SQLite): client tokens and instance groups kept in their primary key's
 * b-tree. A rowid table with a text key is two b-trees, the rows and the key's index, and a
 * RunInstances writes a page of each to the write-ahead log; its commit wrote about 28 pages,
 * two of them for these two small rows (tests/bench/http-floor.ts, RunInstances of one).
 * PostgreSQL keeps a table and its key's index whatever it is told: nothing to do there.
 */
export const EC2_KEYED_ROWS_MIGRATION: Migration = {
  version: 18,
  name: "ec2 client tokens and instance groups without rowid (SQLite)",
  statements: (dialect) =>
    dialect !== "sqlite"
      ? []
      : [
          `CREATE TABLE ec2_client_tokens_keyed (
            account TEXT NOT NULL,
            client_token TEXT NOT NULL,
            request_digest TEXT NOT NULL,
            reservation_id TEXT NOT NULL,
            created_at TEXT NOT NULL,
            PRIMARY KEY (account, client_token)
          ) WITHOUT ROWID`,
          "INSERT INTO ec2_client_tokens_keyed (account, client_token, request_digest, reservation_id, created_at) SELECT account, client_token, request_digest, reservation_id, created_at FROM ec2_client_tokens",
          "DROP TABLE ec2_client_tokens",
          "ALTER TABLE ec2_client_tokens_keyed RENAME TO ec2_client_tokens",
          `CREATE TABLE ec2_instance_groups_keyed (
            instance_id TEXT NOT NULL REFERENCES ec2_instances (instance_id),
            group_id TEXT NOT NULL,
            position INTEGER NOT NULL,
            PRIMARY KEY (instance_id, group_id)
          ) WITHOUT ROWID`,
          "INSERT INTO ec2_instance_groups_keyed (instance_id, group_id, position) SELECT instance_id, group_id, position FROM ec2_instance_groups",
          "DROP TABLE ec2_instance_groups",
          "ALTER TABLE ec2_instance_groups_keyed RENAME TO ec2_instance_groups",
          "CREATE INDEX ec2_instance_groups_by_group ON ec2_instance_groups (group_id)",
        ],
};
