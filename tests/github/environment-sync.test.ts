/**
 * Puppet environments from GitHub, through Octokit pointed at the local GitHub stand-in
 * (tests/helpers/github-stand-in.ts) with baseUrl: matching branches become environments,
 * only changed ones are fetched again, removed ones go, and every failure (outage, bad token,
 * rate limit, malformed answers) leaves the last good environments in place and says so.
 */
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { githubClient } from "../../lib/github/github-client.ts";
import { EnvironmentSync, parseRepository } from "../../lib/github/environment-sync.ts";
import { startGithubStandIn, type GithubStandIn } from "../helpers/github-stand-in.ts";

let gh: GithubStandIn;
const dir = mkdtempSync(join(tmpdir(), "orchestra-env-sync-"));
const warnings: string[] = [];
const logger = { info: () => {}, warn: (_f: object, m: string) => void warnings.push(m) };

beforeAll(async () => {
  gh = await startGithubStandIn();
  gh.token = "ghp_test";
});
afterAll(async () => {
  await gh.close();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  gh.mode = "ok";
  warnings.length = 0;
});

function fresh(name: string, branches: Record<string, Record<string, string>>, options: { token?: string; pattern?: string; now?: () => Date } = {}) {
  gh.repos.set(`site/${name}`, new Map(Object.entries(branches)));
  const codeDir = join(dir, name);
  mkdirSync(codeDir);
  const sync = new EnvironmentSync({ octokit: githubClient({ baseUrl: gh.baseUrl, token: options.token ?? "ghp_test" }), repository: `site/${name}`, branchPattern: options.pattern ?? "*", codeDir, logger, ...(options.now ? { now: options.now } : {}) });
  return { codeDir, sync };
}

const manifest = (text: string) => ({ "manifests/site.pp": `node default { notify { '${text}': } }\n`, "environment.conf": "modulepath = modules\n" });

describe("puppet environments from GitHub", () => {
  it("writes each matching branch as an environment, over several pages, and skips names puppet cannot use without writing outside the code directory", async () => {
    gh.pageSize = 2;
    const { codeDir, sync } = fresh("envs", {
      production: manifest("prod"), staging: manifest("staging"), dev_alice: manifest("alice"),
      "feature/x": manifest("x"), "..": manifest("dots"), "Upper": manifest("upper"), main: manifest("main"),
    });
    const status = await sync.sync();
    gh.pageSize = 100;
    expect(status.ok, status.message).toBe(true);
    expect(Object.keys(status.environments).sort()).toEqual(["dev_alice", "production", "staging"]);
    expect([...status.skipped].sort()).toEqual(["..", "Upper", "feature/x", "main"]);
    expect(warnings.filter((w) => w.includes("not a valid puppet environment name"))).toHaveLength(4);
    expect(readFileSync(join(codeDir, "production", "manifests", "site.pp"), "utf8")).toContain("prod");
    expect(lstatSync(join(codeDir, "production")).isSymbolicLink()).toBe(true);
    expect(readdirSync(codeDir).filter((e) => !e.startsWith(".")).sort()).toEqual(["dev_alice", "production", "staging"]);
    expect(existsSync(join(dir, "x"))).toBe(false);
    expect(readdirSync(dir).sort()).not.toContain("feature");
  });

  it("fetches only changed branches, removes deleted ones, and takes a branch pattern", async () => {
    const { codeDir, sync: patterned } = fresh("changes", { production: manifest("v1"), staging: manifest("s1"), other: manifest("o") }, { pattern: "*ing" });
    expect(Object.keys((await patterned.sync()).environments)).toEqual(["staging"]);
    const all = new EnvironmentSync({ octokit: githubClient({ baseUrl: gh.baseUrl, token: "ghp_test" }), repository: "site/changes", branchPattern: "*", codeDir, logger });
    expect([...(await all.sync()).changed].sort()).toEqual(["other", "production"]);
    const before = gh.requests.length;
    gh.repos.get("site/changes")!.set("production", manifest("v2"));
    gh.repos.get("site/changes")!.delete("other");
    const second = await all.sync();
    expect(second.changed).toEqual(["production"]);
    expect(second.removed).toEqual(["other"]);
    // One branch listing and one tarball (redirect + download): staging was not fetched again.
    expect(gh.requests.slice(before).filter((p) => p.includes("tarball"))).toHaveLength(1);
    expect(readFileSync(join(codeDir, "production", "manifests", "site.pp"), "utf8")).toContain("v2");
    expect(existsSync(join(codeDir, "other"))).toBe(false);
    // Old trees are collected: one per live environment.
    expect(readdirSync(join(codeDir, ".orchestra")).sort()).toHaveLength(2);
  });

  it("replaces the empty production/ a package made, and leaves a directory with content it did not write alone", async () => {
    const name = "in-the-way";
    const codeDir = join(dir, name);
    mkdirSync(join(codeDir, "production"), { recursive: true });
    mkdirSync(join(codeDir, "staging", "manifests"), { recursive: true });
    writeFileSync(join(codeDir, "staging", "manifests", "site.pp"), "operator's own\n");
    gh.repos.set(`site/${name}`, new Map(Object.entries({ production: manifest("p"), staging: manifest("s") })));
    const sync = new EnvironmentSync({ octokit: githubClient({ baseUrl: gh.baseUrl, token: "ghp_test" }), repository: `site/${name}`, branchPattern: "*", codeDir, logger });
    const status = await sync.sync();
    expect(status.changed).toEqual(["production"]);
    expect(Object.keys(status.environments)).toEqual(["production"]);
    expect(lstatSync(join(codeDir, "production")).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(codeDir, "staging", "manifests", "site.pp"), "utf8")).toBe("operator's own\n");
    expect(warnings.join("\n")).toContain("a directory Orchestra did not write is in the way");
  });

  it.each([
    ["down", /unreachable/],
    ["bad-token", /refused the token/],
    ["rate-limit-reset", /rate limit/],
    ["rate-limit-retry-after", /rate limit/],
    ["malformed-branches", /malformed/],
    ["malformed-tarball", /does not extract/],
  ] as const)("keeps the last good environments when GitHub is %s, and says so", async (mode, why) => {
    const { codeDir, sync } = fresh(`fault-${mode}`, { production: manifest("good") });
    expect((await sync.sync()).ok).toBe(true);
    gh.repos.get(`site/fault-${mode}`)!.set("production", manifest("new"));
    gh.repos.get(`site/fault-${mode}`)!.set("staging", manifest("new"));
    gh.mode = mode;
    const status = await sync.sync();
    expect(status.ok).toBe(false);
    expect(status.message).toMatch(why);
    expect(status.message).toContain("last good environments kept");
    expect(warnings.join("\n")).toMatch(why);
    expect(Object.keys(status.environments)).toEqual(["production"]);
    expect(readFileSync(join(codeDir, "production", "manifests", "site.pp"), "utf8")).toContain("good");
    expect(existsSync(join(codeDir, "staging"))).toBe(false);
    expect(readdirSync(join(codeDir, ".orchestra")).filter((e) => e.endsWith(".tmp"))).toEqual([]);
  });

  it("honours retry-after and x-ratelimit-reset: no call to GitHub before then", async () => {
    let now = new Date();
    const { sync } = fresh("ratelimit", { production: manifest("p") }, { now: () => now });
    gh.mode = "rate-limit-retry-after";
    const limited = await sync.sync();
    expect(new Date(limited.retryAt!).getTime() - now.getTime()).toBe(120_000);
    gh.mode = "ok";
    const before = gh.requests.length;
    now = new Date(now.getTime() + 60_000);
    const waiting = await sync.sync();
    expect(waiting.ok).toBe(false);
    expect(waiting.message).toContain("waiting for GitHub's rate limit");
    expect(gh.requests.length).toBe(before);
    now = new Date(now.getTime() + 61_000);
    expect((await sync.sync()).ok).toBe(true);

    gh.mode = "rate-limit-reset";
    const reset = await sync.sync();
    // x-ratelimit-reset is epoch seconds, an hour ahead in the stand-in.
    expect(new Date(reset.retryAt!).getTime()).toBeGreaterThan(Date.now() + 3500_000);
  });

  it("refuses a repository that is not owner/name", () => {
    expect(() => parseRepository("site")).toThrow(/owner\/name/);
    expect(() => parseRepository("site/../etc")).toThrow(/owner\/name/);
    expect(() => parseRepository("site/..")).toThrow(/owner\/name/);
    expect(parseRepository("site/puppet-code")).toEqual({ owner: "site", repo: "puppet-code" });
  });
});
