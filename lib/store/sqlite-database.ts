/**
 * @module store/sqlite-database
 * SqlDatabase over Node's built-in `node:sqlite`: no native addon, so it loads under the
 * very Node that runs Orchestra. WAL mode and a busy timeout let the CLI and a running
 * server share one file.
 */
import { chmodSync, closeSync, openSync } from "node:fs";
import { DatabaseSync, type SQLInputValue } from "node:sqlite";
import { ephemeralStoreSecrets, type StoreSecrets } from "./store-secrets.ts";
import { OrchestraError } from "../errors.ts";
import type { SqlDatabase, SqlExecutor, SqlValue } from "./sql-database.ts";

/** How long a writer waits for another process's lock before giving up, in ms. */
const BUSY_TIMEOUT_MS = 10_000;

/**
 * Pages the write-ahead log grows to before a commit copies them into the database (SQLite's
 * default is 1,000). A checkpoint copies each page once however often the log holds it, and
 * a deployment's commits rewrite the same few index pages: a checkpoint of ~900 frames cost
 * the server thread 4-6 ms, one of ~9,300 frames 9-12 ms, so per launch about 130 → 30 µs
 * of CPU. The price: a log file of up to 40 MiB, and a checkpoint that blocks the loop for
 * tens of ms (mostly its fsync) a few times a thousand launches instead of ~10 ms ten times as often.
 */
const WAL_AUTOCHECKPOINT_PAGES = 10_000;

/** `$1` → `?1`: SQLite's numbered parameters keep the PostgreSQL numbering. */
function toSqlite(sql: string): string {
  return sql.replace(/\$(\d+)/g, "?$1");
}

/** The files of an SQLite database in WAL mode: the database, its write-ahead log and its shared-memory index. */
export function sqliteFiles(path: string): string[] {
  return [path, `${path}-wal`, `${path}-shm`];
}

/**
 * Make the database's files (those that exist) 0600: they hold BMC passwords and tokens,
 * sealed or not, and no other local user has any business reading them. SQLite creates the
 * -wal and -shm files with the database file's mode, so creating that one 0600 first covers them.
 */
function restrictFiles(path: string): void {
  closeSync(openSync(path, "a", 0o600));
  for (const file of sqliteFiles(path)) {
    try {
      chmodSync(file, 0o600);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
  }
}

/** Open (creating if needed, mode 0600) an SQLite database file, or ":memory:". */
export function openSqliteDatabase(path: string, secrets: StoreSecrets = ephemeralStoreSecrets()): SqlDatabase {
  let db: DatabaseSync;
  try {
    if (path !== ":memory:") restrictFiles(path);
    db = new DatabaseSync(path);
    db.exec(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
    db.exec("PRAGMA journal_mode = WAL");
    db.exec("PRAGMA synchronous = NORMAL");
    db.exec("PRAGMA foreign_keys = ON");
    // Deleted and overwritten content is zeroed, so a secret sealed in place leaves no plain copy in a free page.
    db.exec("PRAGMA secure_delete = ON");
    db.exec(`PRAGMA wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}`);
    if (path !== ":memory:") restrictFiles(path);
  } catch (error) {
    throw new OrchestraError("STORE_UNAVAILABLE", `cannot open the store at ${path}: ${(error as Error).message}`, { path }, { cause: error });
  }
  return new SqliteDatabase(db, secrets);
}

class SqliteDatabase implements SqlDatabase {
  readonly dialect = "sqlite" as const;
  readonly secrets: StoreSecrets;
  readonly #db: DatabaseSync;
  readonly #statements = new Map<string, ReturnType<DatabaseSync["prepare"]>>();
  /**
   * One connection serves the whole process, and an awaited step inside a transaction
   * would let another caller's statements slip into it: transactions queue here.
   */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(db: DatabaseSync, secrets: StoreSecrets) {
    this.#db = db;
    this.secrets = secrets;
  }

  #prepare(sql: string, arrays = false) {
    // A statement answers either objects or arrays: the same SQL read both ways is two statements.
    const key = arrays ? `arrays\n${sql}` : sql;
    let statement = this.#statements.get(key);
    if (!statement) {
      statement = this.#db.prepare(toSqlite(sql));
      statement.setReadBigInts(false);
      if (arrays) statement.setReturnArrays(true);
      this.#statements.set(key, statement);
    }
    return statement;
  }

  async all<T>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    return this.#prepare(sql).all(...(params as SQLInputValue[])) as T[];
  }

  async allArrays(sql: string, params: readonly SqlValue[] = []): Promise<SqlValue[][]> {
    return this.#prepare(sql, true).all(...(params as SQLInputValue[])) as unknown as SqlValue[][];
  }

  async get<T>(sql: string, params: readonly SqlValue[] = []): Promise<T | undefined> {
    return this.#prepare(sql).get(...(params as SQLInputValue[])) as T | undefined;
  }

  async run(sql: string, params: readonly SqlValue[] = []): Promise<number> {
    return Number(this.#prepare(sql).run(...(params as SQLInputValue[])).changes);
  }

  transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    const result = this.#queue.then(async () => {
      // IMMEDIATE takes the write lock up front, so two processes cannot both read a
      // machine as ready and then both claim it.
      this.#begin();
      try {
        const value = await work(this);
        this.#db.exec("COMMIT");
        return value;
      } catch (error) {
        if (this.#db.isTransaction) this.#db.exec("ROLLBACK");
        throw error;
      }
    });
    this.#queue = result.catch(() => undefined);
    return result;
  }

  #begin(): void {
    try {
      this.#db.exec("BEGIN IMMEDIATE");
    } catch (error) {
      throw new OrchestraError("STORE_UNAVAILABLE", `the store stayed locked for ${BUSY_TIMEOUT_MS / 1000} s: ${(error as Error).message}`, {}, { cause: error });
    }
  }

  async close(): Promise<void> {
    await this.#queue;
    this.#statements.clear();
    if (this.#db.isOpen) this.#db.close();
  }
}
