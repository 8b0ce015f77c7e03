/**
 * @module github/ssh-key-import
 * `gh:USER` entries in the `ssh-keys` setting and in key pairs, as ssh-import-id reads them:
 * the user's public keys from GitHub (GET /users/{user}/keys), cached for a refresh interval
 * in memory and in a file, so a restart and a GitHub outage both keep the last good keys.
 */
import { readFile } from "node:fs/promises";
import type { Octokit } from "@octokit/rest";
import { isOrchestraError, OrchestraError } from "../errors.ts";
import { writeFileAtomic } from "../files/write-file-atomic.ts";
import { githubError, retryAtOf } from "./github-client.ts";
import type { SyncLogger } from "./environment-sync.ts";

/** GitHub's user names: letters, digits and single hyphens, at most 39. */
const USER = /^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$/;
const OPENSSH_KEY = /^(?:ssh-(?:rsa|dss|ed25519)|ecdsa-sha2-nistp(?:256|384|521)|sk-(?:ssh-ed25519|ecdsa-sha2-nistp256)@openssh\.com) [A-Za-z0-9+/]+={0,3}$/;

/** One entry of the `ssh-keys` setting: a literal OpenSSH key line, or a GitHub user. */
export type SshKeyEntry = { readonly kind: "key"; readonly openssh: string } | { readonly kind: "github"; readonly user: string };

/** Parse the `ssh-keys` setting: entries separated by newlines or commas; `gh:USER` or an OpenSSH public key line. */
export function parseSshKeyEntries(text: string): SshKeyEntry[] {
  const entries: SshKeyEntry[] = [];
  for (const raw of text.split(/[\n,]/)) {
    const entry = raw.trim();
    if (entry === "") continue;
    if (entry.startsWith("gh:")) {
      const user = entry.slice(3);
      if (!USER.test(user)) throw new OrchestraError("INVALID_ARGUMENT", `${JSON.stringify(entry)} is not gh: and a GitHub user name`);
      entries.push({ kind: "github", user });
    } else {
      if (!OPENSSH_KEY.test(entry.split(" ").slice(0, 2).join(" "))) throw new OrchestraError("INVALID_ARGUMENT", `${JSON.stringify(entry.slice(0, 40))} is neither gh:USER nor an OpenSSH public key`);
      entries.push({ kind: "key", openssh: entry });
    }
  }
  return entries;
}

interface CachedUser {
  keys: string[];
  fetchedAt: string;
}

/** The state of one user's keys, for status. */
export interface UserKeyStatus {
  readonly user: string;
  readonly keys: number;
  readonly fetchedAt?: string;
  /** Why the last refresh failed, when it did (the cached keys are still used). */
  readonly error?: string;
}

/** Resolves gh:USER entries to keys, with a cache. */
export class GithubKeyImport {
  readonly #octokit: Octokit;
  readonly #cacheFile: string | undefined;
  readonly #refreshMs: number;
  readonly #logger: SyncLogger;
  readonly #now: () => Date;
  #cache = new Map<string, CachedUser>();
  #errors = new Map<string, string>();
  #retryAt: Date | undefined;
  #loaded = false;

  constructor(options: { octokit: Octokit; cacheFile?: string; refreshSeconds: number; logger: SyncLogger; now?: () => Date }) {
    this.#octokit = options.octokit;
    this.#cacheFile = options.cacheFile;
    this.#refreshMs = options.refreshSeconds * 1000;
    this.#logger = options.logger;
    this.#now = options.now ?? (() => new Date());
  }

  /** The keys for `entries`: literal keys as given, gh: users' from the cache (refreshed when due). */
  async resolve(entries: readonly SshKeyEntry[]): Promise<string[]> {
    await this.#load();
    const keys: string[] = [];
    let dirty = false;
    for (const entry of entries) {
      if (entry.kind === "key") {
        keys.push(entry.openssh);
        continue;
      }
      if (this.#due(entry.user)) dirty = (await this.#refresh(entry.user)) || dirty;
      keys.push(...(this.#cache.get(entry.user)?.keys ?? []).map((key) => `${key} gh:${entry.user}`));
    }
    if (dirty && this.#cacheFile !== undefined) await writeFileAtomic(this.#cacheFile, JSON.stringify(Object.fromEntries(this.#cache), null, 2), 0o600);
    return [...new Set(keys)];
  }

  /** Each gh: user's state. */
  status(): UserKeyStatus[] {
    return [...new Set([...this.#cache.keys(), ...this.#errors.keys()])].sort().map((user) => ({
      user,
      keys: this.#cache.get(user)?.keys.length ?? 0,
      ...(this.#cache.get(user) ? { fetchedAt: this.#cache.get(user)!.fetchedAt } : {}),
      ...(this.#errors.has(user) ? { error: this.#errors.get(user)! } : {}),
    }));
  }

  #due(user: string): boolean {
    const now = this.#now();
    if (this.#retryAt !== undefined && now < this.#retryAt) return false;
    const cached = this.#cache.get(user);
    return cached === undefined || this.#errors.has(user) || now.getTime() - new Date(cached.fetchedAt).getTime() >= this.#refreshMs;
  }

  /** Fetch one user's keys; answers whether the cache changed. On failure the cached keys stay. */
  async #refresh(user: string): Promise<boolean> {
    const now = this.#now();
    try {
      let data: unknown;
      try {
        data = (await this.#octokit.rest.users.listPublicKeysForUser({ username: user, per_page: 100 })).data;
      } catch (error) {
        throw githubError(error, `fetching gh:${user}'s SSH keys`, now);
      }
      if (!Array.isArray(data)) throw new OrchestraError("GITHUB_INVALID_RESPONSE", `gh:${user}'s key list is not a list`);
      const keys = data.map((item: { key?: unknown }) => {
        const key = typeof item?.key === "string" ? item.key.trim() : "";
        if (!OPENSSH_KEY.test(key)) throw new OrchestraError("GITHUB_INVALID_RESPONSE", `gh:${user}'s key list holds something that is not an OpenSSH public key`);
        return key;
      });
      this.#cache.set(user, { keys, fetchedAt: now.toISOString() });
      this.#errors.delete(user);
      this.#retryAt = undefined;
      return true;
    } catch (error) {
      if (!isOrchestraError(error, "GITHUB_UNAVAILABLE") && !isOrchestraError(error, "GITHUB_INVALID_RESPONSE")) throw error;
      this.#retryAt = retryAtOf(error) ?? this.#retryAt;
      const kept = this.#cache.get(user)?.keys.length ?? 0;
      this.#errors.set(user, error.message);
      this.#logger.warn({ user, code: error.code, kept, ...error.details }, `${error.message}; keeping ${kept} last good key(s)`);
      return false;
    }
  }

  async #load(): Promise<void> {
    if (this.#loaded || this.#cacheFile === undefined) return;
    this.#loaded = true;
    const text = await readFile(this.#cacheFile, "utf8").catch(() => undefined);
    if (text === undefined) return;
    try {
      for (const [user, cached] of Object.entries(JSON.parse(text) as Record<string, CachedUser>)) {
        if (USER.test(user) && Array.isArray(cached.keys) && cached.keys.every((k) => typeof k === "string" && OPENSSH_KEY.test(k))) this.#cache.set(user, cached);
      }
    } catch {
      this.#logger.warn({ file: this.#cacheFile }, "the GitHub key cache is not JSON; starting empty");
    }
  }
}
