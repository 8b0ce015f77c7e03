import { chmodSync, existsSync, mkdirSync, statSync, writeFileSync } from "node:fs";
import { execa } from "execa";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { MIGRATIONS, migrate } from "../../lib/store/migrations.ts";
import { DATABASE_FILE, openStore } from "../../lib/store/open-store.ts";
import { openSqliteDatabase, sqliteFiles } from "../../lib/store/sqlite-database.ts";
import { resolveDataDir } from "../../lib/store/data-dir.ts";
import { tempDataDir } from "../helpers/inventory.ts";

/** Read `path` as the unprivileged user nobody (uid/gid 65534): answers whether it could. */
async function nobodyCanRead(path: string): Promise<boolean> {
  const result = await execa("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "cat", path], { reject: false, stdout: "ignore", stderr: "ignore" });
  return result.exitCode === 0;
}

describe("the database files at rest", () => {
  it("an unprivileged local user cannot read orchestra.db, its -wal or -shm, or list a data directory that was made 0755", async () => {
    const { dir, cleanup } = tempDataDir();
    try {
      // The temporary parent is 0700; open it up so only the data directory's own modes decide.
      chmodSync(dir, 0o755);
      const dataDir = join(dir, "data");
      mkdirSync(dataDir, { mode: 0o755 });
      chmodSync(dataDir, 0o755);
      const db = await openStore(dataDir);
      await db.run("INSERT INTO instance_types (name, cpus, memory_mib, disk_gib, description, created_at) VALUES ('t.secret', 1, 1, 1, 'x', 'x')");
      const path = join(dataDir, DATABASE_FILE);
      for (const file of sqliteFiles(path)) {
        expect(existsSync(file), file).toBe(true);
        expect(await nobodyCanRead(file), `nobody reads ${file}`).toBe(false);
        expect(statSync(file).mode & 0o777, file).toBe(0o600);
      }
      expect(statSync(dataDir).mode & 0o777).toBe(0o711);
      const list = await execa("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "ls", dataDir], { reject: false });
      expect(list.exitCode).not.toBe(0);
      await db.close();
    } finally {
      cleanup();
    }
  });

  it("a database file left readable by an earlier version is made 0600 when opened", async () => {
    const { dir, cleanup } = tempDataDir();
    try {
      const path = join(dir, DATABASE_FILE);
      await (await openStore(dir)).close();
      chmodSync(path, 0o644);
      const db = await openStore(dir);
      expect(statSync(path).mode & 0o777).toBe(0o600);
      await db.close();
    } finally {
      cleanup();
    }
  });
});

describe("the SQLite store", () => {
  it("creates the data directory, applies every migration once, and reopens without reapplying", async () => {
    const { dir, cleanup } = tempDataDir();
    try {
      const nested = join(dir, "a", "b");
      const db = await openStore(nested);
      expect(existsSync(join(nested, DATABASE_FILE))).toBe(true);
      const rows = await db.all<{ version: number }>("SELECT version FROM schema_migrations ORDER BY version");
      expect(rows.map((r) => r.version)).toEqual(MIGRATIONS.map((m) => m.version));
      expect(await migrate(db)).toEqual([]);
      const mode = await db.get<{ journal_mode: string }>("PRAGMA journal_mode");
      expect(mode?.journal_mode).toBe("wal");
      await db.close();
      const again = await openStore(nested);
      expect(await again.all("SELECT version FROM schema_migrations")).toHaveLength(MIGRATIONS.length);
      await again.close();
    } finally {
      cleanup();
    }
  });

  it("refuses a store written by a newer Orchestra", async () => {
    const db = openSqliteDatabase(":memory:");
    await migrate(db);
    await db.run("INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, 'future', 'x')");
    await expect(migrate(db)).rejects.toMatchObject({ code: "STORE_SCHEMA_TOO_NEW" });
  });

  it("rolls a failed transaction back whole", async () => {
    const db = await openStore(":memory:");
    await expect(
      db.transaction(async (tx) => {
        await tx.run("INSERT INTO instance_types (name, cpus, memory_mib, disk_gib, description, created_at) VALUES ('a.b', 1, 1, 0, '', 'now')");
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
    expect(await db.all("SELECT * FROM instance_types")).toEqual([]);
    // The connection is usable afterwards.
    await db.transaction((tx) => tx.run("INSERT INTO instance_types (name, cpus, memory_mib, disk_gib, description, created_at) VALUES ('a.c', 1, 1, 0, '', 'now')"));
    expect(await db.all("SELECT name FROM instance_types")).toEqual([{ name: "a.c" }]);
  });

  it("runs concurrent transactions one after another, never interleaved", async () => {
    const db = await openStore(":memory:");
    await db.run("CREATE TABLE counter (n INTEGER NOT NULL)");
    await db.run("INSERT INTO counter (n) VALUES (0)");
    await Promise.all(
      Array.from({ length: 50 }, () =>
        db.transaction(async (tx) => {
          const row = await tx.get<{ n: number }>("SELECT n FROM counter");
          await new Promise((resolve) => setImmediate(resolve));
          await tx.run("UPDATE counter SET n = $1", [row!.n + 1]);
        }),
      ),
    );
    expect(await db.get("SELECT n FROM counter")).toEqual({ n: 50 });
  });

  it("reports a data directory it cannot create", async () => {
    const { dir, cleanup } = tempDataDir();
    try {
      writeFileSync(join(dir, "a-file"), "");
      await expect(openStore(join(dir, "a-file", "data"))).rejects.toMatchObject({ code: "STORE_UNAVAILABLE" });
    } finally {
      cleanup();
    }
  });
});

describe("resolveDataDir", () => {
  it("prefers the flag, then ORCHESTRA_DATA_DIR, then a per-user default", () => {
    expect(resolveDataDir("/x/y", { ORCHESTRA_DATA_DIR: "/env" })).toBe("/x/y");
    expect(resolveDataDir(undefined, { ORCHESTRA_DATA_DIR: "/env" })).toBe("/env");
    const fallback = resolveDataDir(undefined, { XDG_DATA_HOME: "/xdg" });
    expect(fallback === "/var/lib/orchestra" || fallback === "/xdg/orchestra").toBe(true);
  });
});
