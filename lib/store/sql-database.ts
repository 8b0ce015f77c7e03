/**
 * @module store/sql-database
 * The narrow SQL interface every store backend implements. Queries are written once, with
 * PostgreSQL-style `$1` placeholders and portable SQL, and run unchanged on SQLite and
 * PostgreSQL; each backend translates what it must.
 */

import type { StoreSecrets } from "./store-secrets.ts";

/** A value that can be bound to a placeholder. */
export type SqlValue = string | number | bigint | null;

/** A row as the database returns it. */
export type SqlRow = Record<string, SqlValue>;

/** The dialect a backend speaks, for the few places (DDL) where SQL cannot be shared. */
export type SqlDialect = "sqlite" | "postgres";

/** Statements that run inside one transaction. */
export interface SqlExecutor {
  readonly dialect: SqlDialect;
  /** Seals the secrets rows hold (lib/store/store-secrets.ts), with the data directory's key. */
  readonly secrets: StoreSecrets;
  /** All rows of a query. */
  all<T = SqlRow>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  /**
   * All rows of a query, each as an array of its columns in the SELECT's order: no object
   * with a property per column, which for a wide row was most of reading it (DescribeInstances
   * reads 29 columns per instance; tests/bench/ec2-api.ts).
   */
  allArrays(sql: string, params?: readonly SqlValue[]): Promise<SqlValue[][]>;
  /** The first row of a query, or undefined. */
  get<T = SqlRow>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined>;
  /** Run a statement; returns the number of rows it changed. */
  run(sql: string, params?: readonly SqlValue[]): Promise<number>;
}

/** A database: an executor outside transactions, plus transactions. */
export interface SqlDatabase extends SqlExecutor {
  /**
   * Run `work` in one write transaction: it commits if `work` resolves and rolls back if it
   * throws, so nothing half-written is ever visible.
   */
  transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  /** Close the connection. */
  close(): Promise<void>;
}
