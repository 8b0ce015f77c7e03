import { describe, expect, it } from "vitest";
import { METADATA_MIGRATION } from "../../lib/metadata/metadata-schema.ts";
import { MIGRATIONS, migrate } from "../../lib/store/migrations.ts";
import { openSqliteDatabase } from "../../lib/store/sqlite-database.ts";

describe("the metadata schema step", () => {
  it("is one of the store's steps and upgrades a database that lacks it", async () => {
    const index = MIGRATIONS.indexOf(METADATA_MIGRATION);
    expect(index).toBeGreaterThan(0);
    const db = openSqliteDatabase(":memory:");
    try {
      const before = MIGRATIONS.slice(0, index);
      expect(await migrate(db, before)).toEqual(before.map((m) => m.version));
      await db.run("INSERT INTO instance_types (name, cpus, memory_mib, disk_gib, description, created_at) VALUES ('bm.x', 1, 1, 0, '', 'now')");
      expect(await migrate(db, MIGRATIONS.slice(0, index + 1))).toEqual([METADATA_MIGRATION.version]);
      expect(await db.get("SELECT COUNT(*) AS n FROM instance_metadata")).toEqual({ n: 0 });
      expect(await db.get("SELECT name FROM instance_types")).toEqual({ name: "bm.x" });
      expect(await migrate(db, MIGRATIONS.slice(0, index + 1))).toEqual([]);
    } finally {
      await db.close();
    }
  });
});
