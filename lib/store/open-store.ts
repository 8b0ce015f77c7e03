/**
 * @module store/open-store
 * Opens the embedded store in a data directory, creating and migrating it as needed.
 */
import { chmodSync, existsSync, mkdirSync, statSync } from "node:fs";
import { loadOrCreateSecretKey, SECRET_KEY_FILE } from "./secret-box.ts";
import { sealExistingSecrets } from "./seal-existing.ts";
import { ephemeralStoreSecrets, type StoreSecrets, storeSecrets } from "./store-secrets.ts";
import { join } from "node:path";
import { OrchestraError } from "../errors.ts";
import { migrate } from "./migrations.ts";
import type { SqlDatabase } from "./sql-database.ts";
import { openSqliteDatabase } from "./sqlite-database.ts";

/** The database file's name inside a data directory. */
export const DATABASE_FILE = "orchestra.db";

/**
 * Open (and migrate) the store: PostgreSQL when `databaseUrl` is given (several units
 * sharing one store), else SQLite in `dataDir`; ":memory:" gives a throwaway store.
 */
export async function openStore(dataDir: string, options: { databaseUrl?: string } = {}): Promise<SqlDatabase> {
  if (options.databaseUrl) {
    // The key file stays with the unit's data directory, as the EC2 secrets' does; without one, a throwaway key.
    const secrets = dataDir !== ":memory:" && existsSync(dataDir) ? await dataDirSecrets(dataDir) : ephemeralStoreSecrets();
    // Loaded only for PostgreSQL: pg is a fifth of what every CLI command loaded before.
    const { openPostgresDatabase } = await import("./postgres-database.ts");
    return migrated(await openPostgresDatabase(options.databaseUrl, { secrets }));
  }
  let path = ":memory:";
  let secrets = ephemeralStoreSecrets();
  if (dataDir !== ":memory:") {
    try {
      mkdirSync(dataDir, { recursive: true, mode: 0o750 });
      tightenDataDir(dataDir);
    } catch (error) {
      throw new OrchestraError("STORE_UNAVAILABLE", `cannot create or tighten the data directory ${dataDir}: ${(error as Error).message}`, { dataDir }, { cause: error });
    }
    path = join(dataDir, DATABASE_FILE);
    secrets = await dataDirSecrets(dataDir);
  }
  return migrated(openSqliteDatabase(path, secrets));
}

/** The store secrets of a data directory: its key file (credentials.key, made on first use), shared with the EC2 secrets. */
async function dataDirSecrets(dataDir: string): Promise<StoreSecrets> {
  return storeSecrets(await loadOrCreateSecretKey(join(dataDir, SECRET_KEY_FILE)));
}

/**
 * A data directory that others may list or write is tightened at start: group and other
 * lose read and write, and keep only the search (x) bit they had, so a dnsmasq or nginx that
 * runs as another user still reaches the subdirectories it serves (tftp/, images/) by name,
 * but nobody lists the directory or reads the secrets in it (docs/boot.md, "Secrets at rest").
 */
export function tightenDataDir(dataDir: string): void {
  const mode = statSync(dataDir).mode & 0o7777;
  const tight = mode & ~0o066;
  if (tight !== mode) chmodSync(dataDir, tight);
}

async function migrated(db: SqlDatabase): Promise<SqlDatabase> {
  try {
    await migrate(db);
    // The rows just sealed replaced plain pages in the log, not yet in the database file: a
    // checkpoint that empties the log puts the sealed pages there now, rather than after
    // the thousands of pages an ordinary checkpoint waits for (lib/store/sqlite-database.ts).
    if ((await sealExistingSecrets(db)) > 0 && db.dialect === "sqlite") await db.get("PRAGMA wal_checkpoint(TRUNCATE)");
  } catch (error) {
    await db.close();
    throw error;
  }
  return db;
}
