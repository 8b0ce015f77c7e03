/**
 * @module dashboard/user-store
 * Dashboard operators, their sessions and their API keys, in the store. An admin sees
 * everything; any other user is bound to one EC2/MAAS account and sees only its instances
 * and keys. Session tokens and key secrets are random, shown once, kept only as SHA-256.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { OrchestraError } from "../errors.ts";
import { checkAccountName } from "../ec2/credentials/account-rows.ts";
import type { SqlDatabase } from "../store/sql-database.ts";
import { hashPassword, verifyPassword } from "./password-hash.ts";

/** Who is signed in. */
export interface DashboardUser {
  readonly name: string;
  readonly admin: boolean;
  /** The account a non-admin is bound to; null for an admin. */
  readonly account: string | null;
  readonly createdAt: string;
}

/** How long a session lives: idle is since its last request, absolute since login. */
export interface SessionLimits {
  idleSeconds: number;
  absoluteSeconds: number;
}

/** Thirty idle minutes, twelve hours in all: a working day, not a week. */
export const DEFAULT_SESSION_LIMITS: SessionLimits = { idleSeconds: 30 * 60, absoluteSeconds: 12 * 3600 };

/** A live session as a request sees it. */
export interface Session {
  readonly user: DashboardUser;
  readonly csrfToken: string;
}

interface UserRow {
  name: string;
  password_hash: string;
  admin: number;
  account: string | null;
  created_at: string;
}

const USER_NAME = /^[a-z][a-z0-9._-]{0,62}$/;

/** Refuse a user name that is not 1-63 lower-case letters, digits, '.', '_' or '-' starting with a letter. */
export function checkUserName(name: string): void {
  if (!USER_NAME.test(name)) throw new OrchestraError("INVALID_ARGUMENT", `invalid user name ${JSON.stringify(name)}: use lower-case letters, digits, '.', '_' or '-', starting with a letter (at most 63)`);
}

/** Refuse a new user's name or role before anything is asked (the CLI checks before prompting for a password). */
export function checkNewUser(name: string, options: { admin?: boolean; account?: string }): void {
  checkUserName(name);
  if (options.admin === true && options.account !== undefined) throw new OrchestraError("INVALID_ARGUMENT", "an admin sees every account: give --admin or --account, not both");
  if (options.admin !== true && options.account === undefined) throw new OrchestraError("MISSING_ARGUMENT", "a user who is not an admin needs --account: the EC2/MAAS account whose instances and keys they see");
  if (options.account !== undefined) checkAccountName(options.account);
}

function sha256(value: string): string {
  return createHash("sha256").update(value).digest("hex");
}

function toUser(row: UserRow): DashboardUser {
  return { name: row.name, admin: row.admin === 1, account: row.account, createdAt: row.created_at };
}

// Verifying against this when the user does not exist costs the same scrypt as a real check,
// so the answer's timing does not tell which user names exist.
let decoyHash: Promise<string> | undefined;

/** The dashboard's operators, sessions and API keys. */
export class UserStore {
  readonly #db: SqlDatabase;
  readonly #now: () => Date;
  readonly limits: SessionLimits;

  constructor(db: SqlDatabase, options: { now?: () => Date; limits?: Partial<SessionLimits> } = {}) {
    this.#db = db;
    this.#now = options.now ?? (() => new Date());
    this.limits = { ...DEFAULT_SESSION_LIMITS, ...options.limits };
  }

  /** Create an operator: an admin, or a user bound to `account`. */
  async create(name: string, password: string, options: { admin?: boolean; account?: string }): Promise<DashboardUser> {
    checkNewUser(name, options);
    const admin = options.admin === true;
    const hash = await hashPassword(password);
    const at = this.#now().toISOString();
    await this.#db.transaction(async (tx) => {
      if (await tx.get("SELECT name FROM dashboard_users WHERE name = $1", [name])) throw new OrchestraError("DUPLICATE_USER", `a user named ${name} exists already`, { user: name });
      await tx.run("INSERT INTO dashboard_users (name, password_hash, admin, account, created_at, disabled_at) VALUES ($1, $2, $3, $4, $5, NULL)", [name, hash, admin ? 1 : 0, options.account ?? null, at]);
    });
    return { name, admin, account: options.account ?? null, createdAt: at };
  }

  /** Every operator, by name. */
  async list(): Promise<DashboardUser[]> {
    return (await this.#db.all<UserRow>("SELECT name, password_hash, admin, account, created_at FROM dashboard_users ORDER BY name")).map(toUser);
  }

  /** Remove an operator; their sessions and API keys end with them. */
  async remove(name: string): Promise<void> {
    const removed = await this.#db.transaction(async (tx) => {
      await tx.run("DELETE FROM dashboard_sessions WHERE user_name = $1", [name]);
      await tx.run("DELETE FROM dashboard_api_keys WHERE user_name = $1", [name]);
      return tx.run("DELETE FROM dashboard_users WHERE name = $1", [name]);
    });
    if (removed === 0) throw new OrchestraError("USER_NOT_FOUND", `no user named ${JSON.stringify(name)}`, { user: name });
  }

  /** Check a password; the user on success, LOGIN_FAILED otherwise (never saying which part was wrong). */
  async authenticate(name: string, password: string): Promise<DashboardUser> {
    const row = USER_NAME.test(name) ? await this.#db.get<UserRow>("SELECT name, password_hash, admin, account, created_at FROM dashboard_users WHERE name = $1 AND disabled_at IS NULL", [name]) : undefined;
    const stored = row?.password_hash ?? (await (decoyHash ??= hashPassword("decoy password never used")));
    const ok = await verifyPassword(password, stored);
    if (!row || !ok) throw new OrchestraError("LOGIN_FAILED", "wrong user name or password");
    return toUser(row);
  }

  /** Open a session for `user`: the cookie's token (shown once) and its CSRF token. */
  async startSession(user: DashboardUser): Promise<{ token: string; csrfToken: string }> {
    const token = randomBytes(32).toString("base64url");
    const csrfToken = randomBytes(24).toString("base64url");
    const at = this.#now().toISOString();
    await this.#db.transaction((tx) =>
      tx.run("INSERT INTO dashboard_sessions (token_hash, user_name, csrf_token, created_at, last_seen_at, ended_at) VALUES ($1, $2, $3, $4, $4, NULL)", [sha256(token), user.name, csrfToken, at]),
    );
    return { token, csrfToken };
  }

  /**
   * The live session a cookie's token names, its idle clock restarted; undefined when there
   * is none, it was ended, or it outlived its idle or absolute limit (then it is ended too).
   */
  async session(token: string): Promise<Session | undefined> {
    if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return undefined;
    const hash = sha256(token);
    const row = await this.#db.get<UserRow & { csrf_token: string; s_created: string; last_seen_at: string }>(
      `SELECT u.name, u.password_hash, u.admin, u.account, u.created_at, s.csrf_token, s.created_at AS s_created, s.last_seen_at
       FROM dashboard_sessions s JOIN dashboard_users u ON u.name = s.user_name
       WHERE s.token_hash = $1 AND s.ended_at IS NULL AND u.disabled_at IS NULL`,
      [hash],
    );
    if (!row) return undefined;
    const now = this.#now();
    const idle = now.getTime() - Date.parse(row.last_seen_at) > this.limits.idleSeconds * 1000;
    const old = now.getTime() - Date.parse(row.s_created) > this.limits.absoluteSeconds * 1000;
    if (idle || old) {
      await this.endSession(token);
      return undefined;
    }
    // Written at most once a minute (sooner for short idle limits): a page's many requests do not each cost a write.
    if (now.getTime() - Date.parse(row.last_seen_at) > Math.min(60_000, (this.limits.idleSeconds * 1000) / 4)) {
      await this.#db.transaction((tx) => tx.run("UPDATE dashboard_sessions SET last_seen_at = $2 WHERE token_hash = $1", [hash, now.toISOString()]));
    }
    return { user: toUser(row), csrfToken: row.csrf_token };
  }

  /** End a session on the server: its cookie opens nothing from now on. */
  async endSession(token: string): Promise<void> {
    await this.#db.transaction((tx) => tx.run("UPDATE dashboard_sessions SET ended_at = $2 WHERE token_hash = $1 AND ended_at IS NULL", [sha256(token), this.#now().toISOString()]));
  }

  /** Create an API key for scripts acting as `name`: `KEYID.SECRET`, shown only now. */
  async createApiKey(name: string): Promise<{ keyId: string; apiKey: string }> {
    const keyId = `ok-${randomBytes(8).toString("hex")}`;
    const secret = randomBytes(32).toString("base64url");
    await this.#db.transaction(async (tx) => {
      if (!(await tx.get("SELECT name FROM dashboard_users WHERE name = $1", [name]))) throw new OrchestraError("USER_NOT_FOUND", `no user named ${JSON.stringify(name)}`, { user: name });
      await tx.run("INSERT INTO dashboard_api_keys (key_id, secret_hash, user_name, created_at, revoked_at) VALUES ($1, $2, $3, $4, NULL)", [keyId, sha256(secret), name, this.#now().toISOString()]);
    });
    return { keyId, apiKey: `${keyId}.${secret}` };
  }

  /** The user an API key acts for, or undefined for an unknown, revoked or wrong key. */
  async apiKeyUser(apiKey: string): Promise<DashboardUser | undefined> {
    const match = /^(ok-[0-9a-f]{16})\.([A-Za-z0-9_-]{43})$/.exec(apiKey);
    if (!match) return undefined;
    const row = await this.#db.get<UserRow & { secret_hash: string }>(
      "SELECT u.name, u.password_hash, u.admin, u.account, u.created_at, k.secret_hash FROM dashboard_api_keys k JOIN dashboard_users u ON u.name = k.user_name WHERE k.key_id = $1 AND k.revoked_at IS NULL AND u.disabled_at IS NULL",
      [match[1]!],
    );
    if (!row) return undefined;
    const expected = Buffer.from(row.secret_hash, "hex");
    const actual = createHash("sha256").update(match[2]!).digest();
    return timingSafeEqual(expected, actual) ? toUser(row) : undefined;
  }

  /** Revoke an API key. */
  async revokeApiKey(keyId: string): Promise<void> {
    const changed = await this.#db.transaction((tx) => tx.run("UPDATE dashboard_api_keys SET revoked_at = $2 WHERE key_id = $1 AND revoked_at IS NULL", [keyId, this.#now().toISOString()]));
    if (changed === 0) throw new OrchestraError("CREDENTIAL_NOT_FOUND", `no live API key ${JSON.stringify(keyId)}`);
  }
}
