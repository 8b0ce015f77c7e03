import { describe, expect, it } from "vitest";
import { METADATA_MIGRATION } from "../../lib/metadata/metadata-schema.ts";
import { MIGRATIONS, migrate } from "../../lib/store/migrations.ts";
import { openSqliteDatabase } from "../../lib/store/sqlite-database.ts";

describe("the metadata schema step", () => {
  it("is appended after every earlier step and upgrades a database that lacks it", async () => {
    expect(MIGRATIONS.at(-1)).toBe(METADATA_MIGRATION);
    expect(METADATA_MIGRATION.version).toBe(MIGRATIONS.length);
    const db = openSqliteDatabase(":memory:");
    try {
      const before = MIGRATIONS.slice(0, -1);
      expect(await migrate(db, before)).toEqual(before.map((m) => m.version));
      await db.run("INSERT INTO instance_types (name, cpus, memory_mib, disk_gib, description, created_at) VALUES ('bm.x', 1, 1, 0, '', 'now')");
      expect(await migrate(db)).toEqual([METADATA_MIGRATION.version]);
      expect(await db.get("SELECT COUNT(*) AS n FROM instance_metadata")).toEqual({ n: 0 });
      expect(await db.get("SELECT name FROM instance_types")).toEqual({ name: "bm.x" });
      expect(await migrate(db)).toEqual([]);
    } finally {
      await db.close();
    }
  });
});
