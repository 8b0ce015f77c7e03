import { describe, expect, it } from "vitest";
import { checkMigrationOrder, migrate, MIGRATIONS } from "../../lib/store/migrations.ts";
import { openStore } from "../../lib/store/open-store.ts";
import { mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";

describe("the migration list", () => {
  it("numbers its steps 1, 2, 3 ... with no gap or repeat", () => {
    expect(MIGRATIONS.map((m) => m.version)).toEqual(MIGRATIONS.map((_, index) => index + 1));
    expect(() => checkMigrationOrder(MIGRATIONS)).not.toThrow();
  });

  it("is refused when two steps share a version (two branches that each took 'the next' number)", async () => {
    const repeated = [...MIGRATIONS, { ...MIGRATIONS.at(-1)!, name: "second-of-the-same-number" }];
    expect(() => checkMigrationOrder(repeated)).toThrow(/version \d+ at position/);
    const dir = mkdtempSync(join(tmpdir(), "orchestra-migrations-"));
    try {
      const db = await openStore(dir);
      try {
        await expect(migrate(db, repeated)).rejects.toThrow(/no gap or repeat/);
      } finally {
        await db.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
