/**
 * @module ec2/credentials/credential-store
 * Accounts and their access keys. Secrets are sealed with the data directory's key file
 * before they reach the database and are returned only once, when created.
 */
import { OrchestraError } from "../../errors.ts";
import type { SqlDatabase } from "../../store/sql-database.ts";
import { checkAccountName, ensureAccountWithin } from "./account-rows.ts";
import { newAccessKeyId, newSecretAccessKey } from "./access-key.ts";
import type { SecretBox } from "./secret-box.ts";
import type { SecretLookup } from "../auth/sigv4.ts";

/** How many opened secrets the store keeps: a site has a few dozen keys; past this the memo starts again. */
const OPENED_SECRETS_KEPT = 1024;

/** A freshly created credential: the only time the secret is shown. */
export interface NewCredential {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly account: string;
}

/** A credential as listed: never with its secret. */
export interface CredentialSummary {
  readonly accessKeyId: string;
  readonly account: string;
  readonly accountId: string;
  readonly createdAt: string;
  readonly revokedAt: string | null;
}

/** Issues, lists, revokes and looks up access keys. */
export class CredentialStore {
  readonly #db: SqlDatabase;
  readonly #box: SecretBox;
  readonly #now: () => Date;

  constructor(db: SqlDatabase, box: SecretBox, now: () => Date = () => new Date()) {
    this.#db = db;
    this.#box = box;
    this.#now = now;
  }

  /** Create an access key for `account`, creating the account on first use. */
  async create(account = "default"): Promise<NewCredential> {
    checkAccountName(account);
    const accessKeyId = newAccessKeyId();
    const secretAccessKey = newSecretAccessKey();
    const at = this.#now().toISOString();
    await this.#db.transaction(async (tx) => {
      await ensureAccountWithin(tx, account, at);
      await tx.run("INSERT INTO ec2_credentials (access_key_id, account, sealed_secret, created_at, revoked_at) VALUES ($1, $2, $3, $4, NULL)", [
        accessKeyId,
        account,
        this.#box.seal(secretAccessKey, accessKeyId),
        at,
      ]);
    });
    return { accessKeyId, secretAccessKey, account };
  }

  /** Every credential, oldest first, without secrets. */
  async list(): Promise<CredentialSummary[]> {
    const rows = await this.#db.all<{ access_key_id: string; account: string; account_id: string; created_at: string; revoked_at: string | null }>(
      "SELECT c.access_key_id, c.account, a.account_id, c.created_at, c.revoked_at FROM ec2_credentials c JOIN ec2_accounts a ON a.name = c.account ORDER BY c.created_at, c.access_key_id",
    );
    return rows.map((r) => ({ accessKeyId: r.access_key_id, account: r.account, accountId: r.account_id, createdAt: r.created_at, revokedAt: r.revoked_at }));
  }

  /** Revoke an access key; requests signed with it fail from now on. */
  async revoke(accessKeyId: string): Promise<CredentialSummary> {
    const changed = await this.#db.transaction((tx) =>
      tx.run("UPDATE ec2_credentials SET revoked_at = $2 WHERE access_key_id = $1 AND revoked_at IS NULL", [accessKeyId, this.#now().toISOString()]),
    );
    const found = (await this.list()).find((c) => c.accessKeyId === accessKeyId);
    if (!found) throw new OrchestraError("CREDENTIAL_NOT_FOUND", `no access key ${JSON.stringify(accessKeyId)}`);
    if (changed === 0) throw new OrchestraError("INVALID_ARGUMENT", `access key ${accessKeyId} was revoked already at ${found.revokedAt}`);
    return found;
  }

  /**
   * The lookup SigV4 verification uses: live keys only. The account's number comes in the
   * same read, for the answers that show it (ownerId): a query of its own was one more
   * statement on every call.
   */
  readonly lookup: SecretLookup = async (accessKeyId) => {
    const row = await this.#db.get<{ account: string; account_id: string; sealed_secret: string }>(
      "SELECT c.account, a.account_id, c.sealed_secret FROM ec2_credentials c JOIN ec2_accounts a ON a.name = c.account WHERE c.access_key_id = $1 AND c.revoked_at IS NULL",
      [accessKeyId],
    );
    if (!row) return undefined;
    return { account: row.account, accountId: row.account_id, secretAccessKey: this.#openSecret(accessKeyId, row.sealed_secret) };
  };

  /**
   * Secrets already opened, by key id and sealed text: every request is verified, and an AES
   * open each was a visible part of a small request's cost (DescribeInstances of one id). The
   * row is still read each time, so a revoked or replaced key is seen at once; only the
   * decryption of the same sealed text is not repeated.
   */
  readonly #opened = new Map<string, string>();

  #openSecret(accessKeyId: string, sealed: string): string {
    const memo = `${accessKeyId}\n${sealed}`;
    let secret = this.#opened.get(memo);
    if (secret === undefined) {
      secret = this.#box.open(sealed, accessKeyId);
      if (this.#opened.size >= OPENED_SECRETS_KEPT) this.#opened.clear();
      this.#opened.set(memo, secret);
    }
    return secret;
  }
}
