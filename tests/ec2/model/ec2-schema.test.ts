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
});
