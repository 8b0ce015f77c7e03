import { describe, expect, it } from "vitest";
import { MIGRATIONS, migrate } from "../../../lib/store/migrations.ts";
import { openSqliteDatabase } from "../../../lib/store/sqlite-database.ts";

describe("the EC2 schema step", () => {
  it("upgrades a database made by the inventory-only schema", async () => {
    const db = openSqliteDatabase(":memory:");
    try {
      expect(await migrate(db, MIGRATIONS.slice(0, 1))).toEqual([1]);
      await db.run("INSERT INTO instance_types (name, cpus, memory_mib, disk_gib, description, created_at) VALUES ('bm.x', 1, 1, 0, '', 'now')");
      expect(await migrate(db, MIGRATIONS.slice(0, 2))).toEqual([2]);
      const tables = (await db.all<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'ec2_%' ORDER BY name")).map((t) => t.name);
      expect(tables).toEqual(["ec2_accounts", "ec2_client_tokens", "ec2_credentials", "ec2_instance_groups", "ec2_instances", "ec2_key_pairs", "ec2_security_group_rules", "ec2_security_groups", "ec2_tags"]);
      expect(await db.get("SELECT name FROM instance_types")).toEqual({ name: "bm.x" });
      expect(await migrate(db, MIGRATIONS.slice(0, 2))).toEqual([]);
    } finally {
      await db.close();
    }
  });

  it("keeps client tokens and instance groups in their key's b-tree from step 18, rows and all", async () => {
    const db = openSqliteDatabase(":memory:");
    try {
      await migrate(db, MIGRATIONS.filter((m) => m.version <= 17));
      await db.run("INSERT INTO ec2_client_tokens (account, client_token, request_digest, reservation_id, created_at) VALUES ('acct', 'token-1', 'digest', 'r-1', 'now')");
      await db.run("INSERT INTO machines (system_id, hostname, architecture, cpus, memory_mib, storage_bytes, disks, hardware, zone, tags, power_type, power_params, status, status_message, status_changed_at, created_at, updated_at) VALUES ('m1', 'h1', 'amd64', 1, 1, 0, '[]', '{}', 'default', '[]', 'fake', '{}', 'ready', '', 'now', 'now', 'now')");
      await db.run("INSERT INTO instances (instance_id, machine_id, account, instance_type, constraints, created_at) VALUES ('i-1', 'm1', 'acct', 't', '{}', 'now')");
      await db.run(
        "INSERT INTO ec2_instances (instance_id, account, reservation_id, launch_index, image_id, instance_type, zone, subnet_id, vpc_id, powered_off, launched_at) VALUES ('i-1', 'acct', 'r-1', 0, 'ami-1', 't', 'z', 's', 'v', 0, 'now')",
      );
      await db.run("INSERT INTO ec2_instance_groups (instance_id, group_id, position) VALUES ('i-1', 'sg-b', 0), ('i-1', 'sg-a', 1)");
      expect(await migrate(db, MIGRATIONS.filter((m) => m.version <= 18))).toEqual([18]);
      const sql = async (name: string) => (await db.get<{ sql: string }>("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = $1", [name]))?.sql;
      expect(await sql("ec2_client_tokens")).toMatch(/WITHOUT ROWID$/);
      expect(await sql("ec2_instance_groups")).toMatch(/WITHOUT ROWID$/);
      expect(await db.all("SELECT * FROM ec2_client_tokens")).toEqual([{ account: "acct", client_token: "token-1", request_digest: "digest", reservation_id: "r-1", created_at: "now" }]);
      expect(await db.all("SELECT instance_id, group_id, position FROM ec2_instance_groups ORDER BY position")).toEqual([
        { instance_id: "i-1", group_id: "sg-b", position: 0 },
        { instance_id: "i-1", group_id: "sg-a", position: 1 },
      ]);
      // The key still refuses a repeat, and the group index is back.
      await expect(db.run("INSERT INTO ec2_client_tokens (account, client_token, request_digest, reservation_id, created_at) VALUES ('acct', 'token-1', 'd2', 'r-2', 'now')")).rejects.toThrow(/UNIQUE/);
      expect(await db.get("SELECT name FROM sqlite_master WHERE type = 'index' AND name = 'ec2_instance_groups_by_group'")).toEqual({ name: "ec2_instance_groups_by_group" });
    } finally {
      await db.close();
    }
  });
});
