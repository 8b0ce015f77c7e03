/**
 * gh:USER SSH keys through Octokit against the GitHub stand-in: resolved to the user's keys,
 * cached for the refresh interval (also across a restart, through the cache file), and the
 * last good keys kept, with the failure in the status and the log, when GitHub is down,
 * refuses the token, rate-limits or answers garbage.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { githubClient } from "../../lib/github/github-client.ts";
import { GithubKeyImport, parseSshKeyEntries } from "../../lib/github/ssh-key-import.ts";
import { startGithubStandIn, type GithubStandIn } from "../helpers/github-stand-in.ts";

const KEY1 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHhN0pQ7kV3u0m8Yz1aX9sLq2cW4eR6tY8uI0oP2aS4d";
const KEY2 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBbBbBbBbBbBbBbBbBbBbBbBbBbBbBbBbBbBbBbBbBbB";
const LOCAL = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7 admin@site";
let gh: GithubStandIn;
const dir = mkdtempSync(join(tmpdir(), "orchestra-gh-keys-"));
const warnings: string[] = [];
const logger = { info: () => {}, warn: (_f: object, m: string) => void warnings.push(m) };

beforeAll(async () => {
  gh = await startGithubStandIn();
});
afterAll(async () => {
  await gh.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("SSH keys of gh: users", () => {
  it("parses gh:USER and literal keys, and refuses anything else", () => {
    expect(parseSshKeyEntries(`gh:octocat, ${LOCAL}\n\ngh:a-b`)).toEqual([{ kind: "github", user: "octocat" }, { kind: "key", openssh: LOCAL }, { kind: "github", user: "a-b" }]);
    expect(() => parseSshKeyEntries("gh:../etc")).toThrow(/gh: and a GitHub user name/);
    expect(() => parseSshKeyEntries("gh:-x")).toThrow(/GitHub user name/);
    expect(() => parseSshKeyEntries("lp:someone")).toThrow(/neither/);
  });

  it("resolves, caches for the refresh interval, and keeps the last good keys through every kind of GitHub failure", async () => {
    gh.users.set("octocat", [KEY1]);
    let now = new Date("2026-01-01T00:00:00Z");
    const cacheFile = join(dir, "keys.json");
    const make = () => new GithubKeyImport({ octokit: githubClient({ baseUrl: gh.baseUrl }), cacheFile, refreshSeconds: 600, logger, now: () => now });
    const keys = make();
    const entries = parseSshKeyEntries(`gh:octocat,${LOCAL}`);
    expect(await keys.resolve(entries)).toEqual([`${KEY1} gh:octocat`, LOCAL]);
    gh.users.set("octocat", [KEY1, KEY2]);
    const before = gh.requests.length;
    expect(await keys.resolve(entries)).toEqual([`${KEY1} gh:octocat`, LOCAL]);
    expect(gh.requests.length).toBe(before);
    now = new Date(now.getTime() + 601_000);
    expect(await keys.resolve(entries)).toEqual([`${KEY1} gh:octocat`, `${KEY2} gh:octocat`, LOCAL]);

    for (const mode of ["down", "bad-token", "rate-limit-reset", "malformed-branches"] as const) {
      gh.mode = mode;
      if (mode === "bad-token") gh.token = "ghp_right";
      if (mode === "malformed-branches") gh.users.set("octocat", ["not a key"]);
      now = new Date(now.getTime() + 601_000);
      // The running importer keeps serving the last good keys...
      expect(await keys.resolve(entries), mode).toEqual([`${KEY1} gh:octocat`, `${KEY2} gh:octocat`, LOCAL]);
      // ...and so does a restarted one, from the cache file, saying in its status and log why.
      warnings.length = 0;
      const restarted = make();
      expect(await restarted.resolve(entries), mode).toEqual([`${KEY1} gh:octocat`, `${KEY2} gh:octocat`, LOCAL]);
      expect(restarted.status().find((s) => s.user === "octocat")!.error, mode).toBeDefined();
      expect(warnings.join("\n"), mode).toContain("keeping 2 last good key(s)");
      gh.mode = "ok";
      gh.token = undefined;
    }
  });

  it("does not ask GitHub again before a rate limit's reset", async () => {
    gh.users.set("limited", [KEY1]);
    let now = new Date();
    const keys = new GithubKeyImport({ octokit: githubClient({ baseUrl: gh.baseUrl }), refreshSeconds: 0, logger, now: () => now });
    gh.mode = "rate-limit-retry-after";
    expect(await keys.resolve(parseSshKeyEntries("gh:limited"))).toEqual([]);
    gh.mode = "ok";
    const before = gh.requests.length;
    now = new Date(now.getTime() + 60_000);
    await keys.resolve(parseSshKeyEntries("gh:limited"));
    expect(gh.requests.length).toBe(before);
    now = new Date(now.getTime() + 61_000);
    expect(await keys.resolve(parseSshKeyEntries("gh:limited"))).toEqual([`${KEY1} gh:limited`]);
  });

  it("does not ask GitHub again before x-ratelimit-reset either", async () => {
    gh.users.set("resetting", [KEY1]);
    let now = new Date();
    const keys = new GithubKeyImport({ octokit: githubClient({ baseUrl: gh.baseUrl }), refreshSeconds: 0, logger, now: () => now });
    gh.mode = "rate-limit-reset"; // the stand-in's reset is an hour ahead
    expect(await keys.resolve(parseSshKeyEntries("gh:resetting"))).toEqual([]);
    gh.mode = "ok";
    const before = gh.requests.length;
    now = new Date(now.getTime() + 3000_000);
    await keys.resolve(parseSshKeyEntries("gh:resetting"));
    expect(gh.requests.length).toBe(before);
    now = new Date(now.getTime() + 700_000);
    expect(await keys.resolve(parseSshKeyEntries("gh:resetting"))).toEqual([`${KEY1} gh:resetting`]);
  });
});
