/**
 * @module maas/credentials/maas-key-store
 * MAAS API keys of accounts: the same accounts EC2 access keys belong to, so one account sees
 * the same machines through both APIs. The token secret is sealed with the data directory's
 * key file (the EC2 secret box) and shown once, when created: PLAINTEXT OAuth compares it, so
 * a hash would do, but sealing keeps one rule for every secret Orchestra stores.
 */
import { OrchestraError } from "../../errors.ts";
import type { SqlDatabase } from "../../store/sql-database.ts";
import { checkAccountName, ensureAccountWithin } from "../../ec2/credentials/account-rows.ts";
import type { SecretBox } from "../../ec2/credentials/secret-box.ts";
import { formatMaasApiKey, newMaasApiKey } from "./maas-api-key.ts";

/** A freshly created key: the only time its secret is shown. */
export interface NewMaasApiKey {
  readonly apiKey: string;
  readonly consumerKey: string;
  readonly tokenKey: string;
  readonly account: string;
}

/** A key as listed: never with its secret. */
export interface MaasApiKeySummary {
  readonly consumerKey: string;
  readonly tokenKey: string;
  readonly account: string;
  readonly createdAt: string;
  readonly revokedAt: string | null;
}

/** What a verified request's key resolves to. */
export interface MaasKeyRecord {
  readonly account: string;
  readonly consumerKey: string;
  readonly tokenSecret: string;
}

/** Finds a live key by its token key. */
export type MaasKeyLookup = (tokenKey: string) => Promise<MaasKeyRecord | undefined>;

/** Issues, lists, revokes and looks up MAAS API keys. */
export class MaasKeyStore {
  readonly #db: SqlDatabase;
  readonly #box: SecretBox;
  readonly #now: () => Date;

  constructor(db: SqlDatabase, box: SecretBox, now: () => Date = () => new Date()) {
    this.#db = db;
    this.#box = box;
    this.#now = now;
  }

  /** Create a key for `account`, creating the account (shared with EC2) on first use. */
  async create(account = "default"): Promise<NewMaasApiKey> {
    checkAccountName(account);
    const key = newMaasApiKey();
    const at = this.#now().toISOString();
    await this.#db.transaction(async (tx) => {
      await ensureAccountWithin(tx, account, at);
      await tx.run("INSERT INTO maas_api_keys (token_key, consumer_key, account, sealed_secret, created_at, revoked_at) VALUES ($1, $2, $3, $4, $5, NULL)", [
        key.tokenKey,
        key.consumerKey,
        account,
        this.#box.seal(key.tokenSecret, `maas:${key.tokenKey}`),
        at,
      ]);
    });
    return { apiKey: formatMaasApiKey(key), consumerKey: key.consumerKey, tokenKey: key.tokenKey, account };
  }

  /** Every key, oldest first, without secrets. */
  async list(): Promise<MaasApiKeySummary[]> {
    const rows = await this.#db.all<{ consumer_key: string; token_key: string; account: string; created_at: string; revoked_at: string | null }>(
      "SELECT consumer_key, token_key, account, created_at, revoked_at FROM maas_api_keys ORDER BY created_at, token_key",
    );
    return rows.map((r) => ({ consumerKey: r.consumer_key, tokenKey: r.token_key, account: r.account, createdAt: r.created_at, revokedAt: r.revoked_at }));
  }

  /** Revoke a key by its token key; requests signed with it fail from now on. */
  async revoke(tokenKey: string): Promise<MaasApiKeySummary> {
    const changed = await this.#db.transaction((tx) => tx.run("UPDATE maas_api_keys SET revoked_at = $2 WHERE token_key = $1 AND revoked_at IS NULL", [tokenKey, this.#now().toISOString()]));
    const found = (await this.list()).find((k) => k.tokenKey === tokenKey);
    if (!found) throw new OrchestraError("CREDENTIAL_NOT_FOUND", `no MAAS API key with token key ${JSON.stringify(tokenKey)}`);
    if (changed === 0) throw new OrchestraError("INVALID_ARGUMENT", `MAAS API key ${tokenKey} was revoked already at ${found.revokedAt}`);
    return found;
  }

  /** The lookup OAuth verification uses: live keys only. */
  readonly lookup: MaasKeyLookup = async (tokenKey) => {
    const row = await this.#db.get<{ account: string; consumer_key: string; sealed_secret: string }>(
      "SELECT account, consumer_key, sealed_secret FROM maas_api_keys WHERE token_key = $1 AND revoked_at IS NULL",
      [tokenKey],
    );
    if (!row) return undefined;
    return { account: row.account, consumerKey: row.consumer_key, tokenSecret: this.#box.open(row.sealed_secret, `maas:${tokenKey}`) };
  };
}
