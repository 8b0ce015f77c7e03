/**
 * @module cli/context
 * What every command needs: the data directory, opened once per command.
 */
import { existsSync } from "node:fs";
import { OrchestraError } from "../errors.ts";
import { Inventory } from "../inventory/inventory.ts";
import { resolveDataDir } from "../store/data-dir.ts";
import { openStore } from "../store/open-store.ts";

/** Options every command accepts. */
export interface GlobalOptions {
  dataDir?: string;
  databaseUrl?: string;
}

/** The PostgreSQL URL to use, if any: --database-url, else $ORCHESTRA_DATABASE_URL. Any other kind of URL is refused. */
export function databaseUrl(options: GlobalOptions): string | undefined {
  const url = options.databaseUrl || process.env.ORCHESTRA_DATABASE_URL || undefined;
  if (url !== undefined && !/^postgres(ql)?:\/\//.test(url)) {
    const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1];
    throw new OrchestraError("INVALID_ARGUMENT", `--database-url must be a PostgreSQL URL (postgresql://user:pass@host/db), got ${scheme ? `a ${scheme}: URL` : "something that is not a URL"}; without it Orchestra uses its embedded SQLite store`);
  }
  return url;
}

/** How a command uses the store. */
export interface StoreUse {
  /**
   * The command may create the data directory (it adds something: a machine, a credential,
   * a running server). Any other command refuses a data directory that does not exist, so
   * a mistyped --data-dir is an error rather than a new, empty inventory.
   */
  creates?: boolean;
}

/** The data directory for `options`; unless the command creates things, only one that exists. */
export function dataDirFor(options: GlobalOptions, use: StoreUse = {}): string {
  const dir = resolveDataDir(options.dataDir);
  if (!use.creates && !databaseUrl(options) && !existsSync(dir)) {
    throw new OrchestraError("DATA_DIR_NOT_FOUND", `data directory ${dir} does not exist: nothing was ever added there (a typo in --data-dir or $ORCHESTRA_DATA_DIR?)`, { dataDir: dir });
  }
  return dir;
}

/** Open the inventory in the data directory, run `work`, and close it whatever happens. */
export async function withInventory<T>(options: GlobalOptions, work: (inventory: Inventory) => Promise<T>, use: StoreUse = {}): Promise<T> {
  const url = databaseUrl(options);
  const db = await openStore(dataDirFor(options, use), url ? { databaseUrl: url } : {});
  try {
    return await work(new Inventory(db));
  } finally {
    await db.close();
  }
}
