/**
 * @module github/environment-sync
 * Puppet environments from a GitHub repository: each branch matching the pattern becomes an
 * environment under the code directory, fetched as a tarball with Octokit. Only branches whose
 * commit changed are fetched again; branches that disappeared are removed.
 *
 * Layout: `<code dir>/<name>` is a symlink to `<code dir>/.orchestra/<name>-<sha>`, a directory
 * written completely (extracted into a temporary name, then renamed) before the symlink is
 * replaced by rename(2), which is atomic: an agent sees the old tree or the new one, never
 * half of either. A failed sync (outage, refused token, rate limit, malformed answer) changes
 * nothing and keeps the last good environments, and says so in the status it returns.
 */
import { randomBytes } from "node:crypto";
import { lstat, mkdir, readdir, readlink, rename, rm, rmdir, symlink } from "node:fs/promises";
import { join } from "node:path";
import type { Octokit } from "@octokit/rest";
import { execa } from "execa";
import { isOrchestraError, OrchestraError } from "../errors.ts";
import { githubError, retryAtOf } from "./github-client.ts";
import { branchMatcher, isEnvironmentName } from "./environment-name.ts";

/** A logger (pino's shape). */
export interface SyncLogger {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

/** What to sync. */
export interface EnvironmentSyncSettings {
  readonly octokit: Octokit;
  /** owner/name */
  readonly repository: string;
  /** Branches to take, e.g. `*` or `env_*`. */
  readonly branchPattern: string;
  /** puppet's environmentpath, e.g. /etc/puppet/code/environments. */
  readonly codeDir: string;
  readonly logger: SyncLogger;
  readonly now?: () => Date;
}

/** The outcome of the last sync, for status and logs. */
export interface SyncStatus {
  readonly ok: boolean;
  /** What happened, one line. */
  readonly message: string;
  /** Environment name → commit it holds now. */
  readonly environments: Readonly<Record<string, string>>;
  readonly changed: readonly string[];
  readonly removed: readonly string[];
  /** Branches matching the pattern that are not valid environment names. */
  readonly skipped: readonly string[];
  /** Set when GitHub asked to wait (rate limit); no call is made before it. */
  readonly retryAt?: string;
  readonly lastSuccessAt?: string;
}

const REPOSITORY = /^([A-Za-z0-9_.-]{1,100})\/([A-Za-z0-9_.-]{1,100})$/;
const SHA = /^[0-9a-f]{40}$/;
const STORE = ".orchestra";

/** Parse `owner/name`. */
export function parseRepository(value: string): { owner: string; repo: string } {
  const match = REPOSITORY.exec(value);
  if (!match || match[2] === "." || match[2] === "..") throw new OrchestraError("INVALID_ARGUMENT", `${JSON.stringify(value)} is not a GitHub repository (owner/name)`);
  return { owner: match[1]!, repo: match[2]! };
}

/** Syncs one repository's branches into one code directory; call sync() periodically. */
export class EnvironmentSync {
  readonly #settings: EnvironmentSyncSettings;
  readonly #repo: { owner: string; repo: string };
  readonly #matches: (branch: string) => boolean;
  #status: SyncStatus = { ok: false, message: "not synced yet", environments: {}, changed: [], removed: [], skipped: [] };

  constructor(settings: EnvironmentSyncSettings) {
    this.#settings = settings;
    this.#repo = parseRepository(settings.repository);
    this.#matches = branchMatcher(settings.branchPattern);
  }

  /** The last sync's outcome. */
  get status(): SyncStatus {
    return this.#status;
  }

  /** Bring the code directory in line with the repository's branches; never throws for GitHub's failures. */
  async sync(): Promise<SyncStatus> {
    const now = (this.#settings.now ?? (() => new Date()))();
    const last = this.#status;
    if (last.retryAt !== undefined && now < new Date(last.retryAt)) {
      return this.#status = { ...last, message: `waiting for GitHub's rate limit until ${last.retryAt}; last good environments kept` };
    }
    const current = await this.#installed();
    try {
      const branches = await this.#branches(now);
      const wanted = new Map<string, string>();
      const skipped: string[] = [];
      for (const branch of branches) {
        if (!this.#matches(branch.name)) continue;
        if (!isEnvironmentName(branch.name)) {
          skipped.push(branch.name);
          this.#settings.logger.warn({ branch: branch.name }, "branch skipped: not a valid puppet environment name (lower-case letters, digits, _)");
          continue;
        }
        wanted.set(branch.name, branch.sha);
      }
      const changed: string[] = [];
      for (const [name, sha] of [...wanted]) {
        if (current.get(name) === sha) continue;
        if (await this.#install(name, sha, now)) changed.push(name);
        else wanted.delete(name);
      }
      const removed: string[] = [];
      for (const name of current.keys()) {
        if (wanted.has(name)) continue;
        await this.#remove(name);
        removed.push(name);
      }
      await this.#collect(wanted);
      const message = `synced ${wanted.size} environment(s) from ${this.#settings.repository}: ${changed.length} changed, ${removed.length} removed, ${skipped.length} skipped`;
      this.#settings.logger.info({ changed, removed, skipped }, message);
      return this.#status = { ok: true, message, environments: Object.fromEntries(wanted), changed, removed, skipped, lastSuccessAt: now.toISOString() };
    } catch (error) {
      if (!isOrchestraError(error, "GITHUB_UNAVAILABLE") && !isOrchestraError(error, "GITHUB_INVALID_RESPONSE")) throw error;
      const retryAt = retryAtOf(error);
      const message = `${error.message}; last good environments kept`;
      this.#settings.logger.warn({ code: error.code, ...error.details }, message);
      const installed = Object.fromEntries(await this.#installed());
      return this.#status = {
        ok: false, message, environments: installed, changed: [], removed: [], skipped: last.skipped,
        ...(retryAt ? { retryAt: retryAt.toISOString() } : {}),
        ...(last.lastSuccessAt ? { lastSuccessAt: last.lastSuccessAt } : {}),
      };
    }
  }

  /** Every branch of the repository (all pages), checked for shape. */
  async #branches(now: Date): Promise<{ name: string; sha: string }[]> {
    const { octokit } = this.#settings;
    let data: unknown;
    try {
      data = await octokit.paginate(octokit.rest.repos.listBranches, { ...this.#repo, per_page: 100 });
    } catch (error) {
      throw githubError(error, `listing the branches of ${this.#settings.repository}`, now);
    }
    if (!Array.isArray(data)) throw new OrchestraError("GITHUB_INVALID_RESPONSE", `the branch list of ${this.#settings.repository} is not a list`);
    return data.map((branch: unknown) => {
      const b = branch as { name?: unknown; commit?: { sha?: unknown } };
      if (typeof b?.name !== "string" || typeof b.commit?.sha !== "string" || !SHA.test(b.commit.sha)) {
        throw new OrchestraError("GITHUB_INVALID_RESPONSE", `the branch list of ${this.#settings.repository} has a malformed entry`);
      }
      return { name: b.name, sha: b.commit.sha };
    });
  }

  /** Environments this sync wrote before: name → commit, read from the symlinks. */
  async #installed(): Promise<Map<string, string>> {
    const found = new Map<string, string>();
    const entries = await readdir(this.#settings.codeDir).catch(() => [] as string[]);
    for (const name of entries) {
      if (!isEnvironmentName(name)) continue;
      const target = await readlink(join(this.#settings.codeDir, name)).catch(() => undefined);
      const match = target === undefined ? null : new RegExp(`^${STORE}/${name}-([0-9a-f]{40})$`).exec(target);
      if (match) found.set(name, match[1]!);
    }
    return found;
  }

  /** Fetch and extract one commit, then switch the environment to it; false when a directory Orchestra did not write is in the way. */
  async #install(name: string, sha: string, now: Date): Promise<boolean> {
    const { octokit, codeDir } = this.#settings;
    const store = join(codeDir, STORE);
    await mkdir(store, { recursive: true });
    let archive: ArrayBuffer;
    try {
      archive = (await octokit.rest.repos.downloadTarballArchive({ ...this.#repo, ref: sha })).data as ArrayBuffer;
    } catch (error) {
      throw githubError(error, `fetching ${this.#settings.repository}@${sha}`, now);
    }
    if (!(archive instanceof ArrayBuffer)) throw new OrchestraError("GITHUB_INVALID_RESPONSE", `the tarball of ${this.#settings.repository}@${sha} is not binary data`);
    const temporary = join(store, `.${name}-${randomBytes(6).toString("hex")}.tmp`);
    await mkdir(temporary);
    // GitHub's tarball has one top directory (owner-repo-sha/): strip it. GNU tar refuses
    // members with .. and strips leading /, so nothing lands outside the temporary directory.
    const untar = await execa("tar", ["-xz", "--strip-components=1", "--no-same-owner", "--no-same-permissions", "-C", temporary], { input: Buffer.from(archive), reject: false });
    if (untar.exitCode !== 0) {
      await rm(temporary, { recursive: true, force: true });
      throw new OrchestraError("GITHUB_INVALID_RESPONSE", `the tarball of ${this.#settings.repository}@${sha} does not extract: ${String(untar.stderr).split("\n")[0]}`);
    }
    const version = join(store, `${name}-${sha}`);
    await rm(version, { recursive: true, force: true });
    await rename(temporary, version);
    const link = join(codeDir, `.${name}-${randomBytes(6).toString("hex")}.link`);
    await symlink(`${STORE}/${name}-${sha}`, link);
    const path = join(codeDir, name);
    // An empty directory left by a package (puppetserver's production/) makes way; one with content is the operator's.
    const existing = await lstat(path).catch(() => undefined);
    if (existing?.isDirectory()) {
      try {
        await rmdir(path);
      } catch {
        await rm(link, { force: true });
        this.#settings.logger.warn({ environment: name }, "environment skipped: a directory Orchestra did not write is in the way");
        return false;
      }
    }
    await rename(link, path);
    return true;
  }

  async #remove(name: string): Promise<void> {
    await rm(join(this.#settings.codeDir, name), { force: true });
  }

  /** Delete trees no environment points at any more (old commits, removed branches, interrupted extractions). */
  async #collect(wanted: Map<string, string>): Promise<void> {
    const store = join(this.#settings.codeDir, STORE);
    const keep = new Set([...wanted].map(([name, sha]) => `${name}-${sha}`));
    for (const entry of await readdir(store).catch(() => [] as string[])) {
      if (!keep.has(entry)) await rm(join(store, entry), { recursive: true, force: true });
    }
  }
}
