export type { SqlDatabase, SqlDialect, SqlExecutor, SqlRow, SqlValue } from "./sql-database.ts";
export { openSqliteDatabase } from "./sqlite-database.ts";
export { MIGRATIONS, migrate, type Migration } from "./migrations.ts";
export { resolveDataDir } from "./data-dir.ts";
export { DATABASE_FILE, openStore } from "./open-store.ts";
export { openPostgresDatabase } from "./postgres-database.ts";
