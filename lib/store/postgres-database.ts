/**
 * @module store/postgres-database
 * SqlDatabase over PostgreSQL (node-postgres), for several Orchestra units sharing one
 * store. The queries are the very ones SQLite runs; this file only adapts the connection.
 */
import pg from "pg";
import { OrchestraError } from "../errors.ts";
import type { SqlDatabase, SqlExecutor, SqlValue } from "./sql-database.ts";
import { ephemeralStoreSecrets, type StoreSecrets } from "./store-secrets.ts";

/**
 * Every write transaction takes this advisory lock first. It serialises writers exactly as
 * SQLite's BEGIN IMMEDIATE does, so "read the cheapest ready machine, then claim it" is
 * atomic across units without rewriting each query for row locks.
 */
const WRITE_LOCK_KEY = 0x6f726368; // "orch"

// int8 (COUNT, BIGINT sizes) arrives as a string by default; Orchestra's sizes fit in a
// double exactly (< 2^53 bytes), so read them as numbers like SQLite does.
pg.types.setTypeParser(pg.types.builtins.INT8, (text: string) => Number(text));
pg.types.setTypeParser(pg.types.builtins.NUMERIC, (text: string) => Number(text));

class PostgresExecutor implements SqlExecutor {
  readonly dialect = "postgres" as const;
  readonly secrets: StoreSecrets;
  readonly #client: pg.Pool | pg.PoolClient;

  constructor(client: pg.Pool | pg.PoolClient, secrets: StoreSecrets) {
    this.#client = client;
    this.secrets = secrets;
  }

  async all<T>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    return (await this.#client.query(sql, params as unknown[])).rows as T[];
  }

  async allArrays(sql: string, params: readonly SqlValue[] = []): Promise<SqlValue[][]> {
    return (await this.#client.query({ text: sql, values: params as unknown[], rowMode: "array" })).rows as SqlValue[][];
  }

  async get<T>(sql: string, params: readonly SqlValue[] = []): Promise<T | undefined> {
    return (await this.#client.query(sql, params as unknown[])).rows[0] as T | undefined;
  }

  async run(sql: string, params: readonly SqlValue[] = []): Promise<number> {
    return (await this.#client.query(sql, params as unknown[])).rowCount ?? 0;
  }
}

class PostgresDatabase extends PostgresExecutor implements SqlDatabase {
  readonly #pool: pg.Pool;

  constructor(pool: pg.Pool, secrets: StoreSecrets) {
    super(pool, secrets);
    this.#pool = pool;
  }

  async transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    const client = await this.#pool.connect();
    try {
      await client.query("BEGIN");
      await client.query("SELECT pg_advisory_xact_lock($1)", [WRITE_LOCK_KEY]);
      const value = await work(new PostgresExecutor(client, this.secrets));
      await client.query("COMMIT");
      return value;
    } catch (error) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }
}

/** Connect to PostgreSQL at `url` (postgresql://user:pass@host:port/db); checks the connection at once. */
export async function openPostgresDatabase(url: string, options: { maxConnections?: number; secrets?: StoreSecrets } = {}): Promise<SqlDatabase> {
  const pool = new pg.Pool({ connectionString: url, max: options.maxConnections ?? 10, connectionTimeoutMillis: 10_000 });
  // An idle client's error (the server restarted) must not crash the process: the next
  // query reconnects.
  pool.on("error", () => undefined);
  try {
    await pool.query("SELECT 1");
  } catch (error) {
    await pool.end().catch(() => undefined);
    // The URL may carry a password: name only the host.
    const host = (() => {
      try {
        return new URL(url).host;
      } catch {
        return "(unparsable URL)";
      }
    })();
    throw new OrchestraError("STORE_UNAVAILABLE", `cannot connect to PostgreSQL at ${host}: ${(error as Error).message}`, { host }, { cause: error });
  }
  return new PostgresDatabase(pool, options.secrets ?? ephemeralStoreSecrets());
}
