/**
 * @module cli/context
 * What every command needs: the data directory, opened once per command.
 */
import { Inventory } from "../inventory/inventory.ts";
import { resolveDataDir } from "../store/data-dir.ts";
import { openStore } from "../store/open-store.ts";

/** Options every command accepts. */
export interface GlobalOptions {
  dataDir?: string;
  databaseUrl?: string;
}

/** The PostgreSQL URL to use, if any: --database-url, else $ORCHESTRA_DATABASE_URL. */
export function databaseUrl(options: GlobalOptions): string | undefined {
  return options.databaseUrl || process.env.ORCHESTRA_DATABASE_URL || undefined;
}

/** Open the inventory in the data directory, run `work`, and close it whatever happens. */
export async function withInventory<T>(options: GlobalOptions, work: (inventory: Inventory) => Promise<T>): Promise<T> {
  const url = databaseUrl(options);
  const db = await openStore(resolveDataDir(options.dataDir), url ? { databaseUrl: url } : {});
  try {
    return await work(new Inventory(db));
  } finally {
    await db.close();
  }
}
