/**
 * @module ec2/credentials/account-rows
 * The accounts EC2 access keys and MAAS API keys both belong to: one name rule, and the row
 * made on a key's first use, so the two doors share one set of accounts.
 */
import { OrchestraError } from "../../errors.ts";
import { accountNumber } from "../../inventory/account-number.ts";
import type { SqlExecutor } from "../../store/sql-database.ts";

const ACCOUNT_NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/i;

/** Refuse an account name that is not 1-63 letters, digits, '.', '_' or '-' (starting with a letter or digit). */
export function checkAccountName(account: string): void {
  if (!ACCOUNT_NAME.test(account)) {
    throw new OrchestraError("INVALID_ARGUMENT", `invalid account name ${JSON.stringify(account)}: use letters, digits, '.', '_' or '-' (at most 63)`);
  }
}

/** Create `account` inside the caller's transaction unless it exists. */
export async function ensureAccountWithin(tx: SqlExecutor, account: string, at: string): Promise<void> {
  const existing = await tx.get("SELECT name FROM ec2_accounts WHERE name = $1", [account]);
  if (!existing) await tx.run("INSERT INTO ec2_accounts (name, account_id, created_at) VALUES ($1, $2, $3)", [account, accountNumber(account), at]);
}
