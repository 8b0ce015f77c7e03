/**
 * @module ec2/actions/dry-run
 * `DryRun=true`: run the action itself, every check included (user-data, key pair, image,
 * capacity, ownership of the instances named ...), and stop just before anything is
 * written. Rather than a second, hand-kept list of each action's checks, the action runs
 * over a database handle that never commits: a transaction that changed rows is rolled
 * back at its end (where the real action would commit) and answers DryRunOperation; a write
 * outside a transaction is refused before it runs. Reads pass through. An action that ends
 * without writing (a Describe*) answers DryRunOperation too, as on AWS.
 */
import { OrchestraError } from "../../errors.ts";
import type { SqlDatabase, SqlExecutor, SqlValue } from "../../store/sql-database.ts";
import type { Ec2Context } from "../model/ec2-context.ts";
import type { Ec2Services } from "../model/ec2-services.ts";
import type { Ec2Action } from "./define-action.ts";

function wouldHaveSucceeded(): OrchestraError {
  return new OrchestraError("EC2_DRY_RUN", "Request would have succeeded, but DryRun flag is set.");
}

/** Only these statements read; anything else is a write. */
function isRead(sql: string): boolean {
  const word = sql.trimStart().slice(0, 6).toUpperCase();
  return word === "SELECT" || word.startsWith("WITH");
}

/** An executor inside a dry-run transaction: statements run, and writes are counted. */
function countingExecutor(tx: SqlExecutor): SqlExecutor & { readonly wrote: () => boolean } {
  let wrote = false;
  return {
    dialect: tx.dialect,
    secrets: tx.secrets,
    wrote: () => wrote,
    all: <T>(sql: string, params?: readonly SqlValue[]) => ((wrote ||= !isRead(sql)), tx.all<T>(sql, params)),
    allArrays: (sql: string, params?: readonly SqlValue[]) => ((wrote ||= !isRead(sql)), tx.allArrays(sql, params)),
    get: <T>(sql: string, params?: readonly SqlValue[]) => ((wrote ||= !isRead(sql)), tx.get<T>(sql, params)),
    async run(sql: string, params?: readonly SqlValue[]) {
      const changed = await tx.run(sql, params);
      wrote ||= changed > 0;
      return changed;
    },
  };
}

/** `db` as a DryRun sees it: transactions that write roll back at their end with DryRunOperation. */
export function dryRunDatabase(db: SqlDatabase): SqlDatabase {
  const refuseWrite = (sql: string) => {
    if (!isRead(sql)) throw wouldHaveSucceeded();
  };
  return {
    dialect: db.dialect,
    secrets: db.secrets,
    all: (sql, params) => (refuseWrite(sql), db.all(sql, params)),
    allArrays: (sql, params) => (refuseWrite(sql), db.allArrays(sql, params)),
    get: (sql, params) => (refuseWrite(sql), db.get(sql, params)),
    run: async (sql) => {
      refuseWrite(sql);
      throw wouldHaveSucceeded();
    },
    transaction: (work) =>
      db.transaction(async (tx) => {
        const counting = countingExecutor(tx);
        const result = await work(counting);
        // The commit is the write: throwing here rolls the transaction back instead.
        if (counting.wrote()) throw wouldHaveSucceeded();
        return result;
      }),
    close: () => db.close(),
  };
}

/** The services an action sees under DryRun: the same, over a database that never commits. */
export function dryRunServices(services: Ec2Services): Ec2Services {
  const db = dryRunDatabase(services.db);
  return { ...services, db, inventory: services.inventory.withDatabase(db) };
}

/**
 * Run `action` as a DryRun: its own error if one of its checks fails, else DryRunOperation.
 * @throws always
 */
export async function runDry(action: Ec2Action<any>, context: Ec2Context, params: unknown): Promise<never> {
  await action.run({ ...context, services: dryRunServices(context.services) }, params as never);
  throw wouldHaveSucceeded();
}
