/**
 * What `serve` reports of GitHub's parts: openManagedSite's jobs write
 * `<data dir>/managed-status.json`. When GitHub fails (outage, bad token, rate limit,
 * malformed answers) the last good environments and gh: keys stay in use, the status file
 * says `ok: false` with the reason (and the key error per user), and the log has a warning.
 * GitHub is the local stand-in (tests/helpers/github-stand-in.ts).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Inventory } from "../../lib/inventory/inventory.ts";
import { MANAGED_STATUS_FILE, openManagedSite } from "../../lib/managed/managed-site.ts";
import { openStore } from "../../lib/store/open-store.ts";
import { addReadyMachines } from "../helpers/inventory.ts";
import { startGithubStandIn, type GithubStandIn, type StandInMode } from "../helpers/github-stand-in.ts";
import { load } from "js-yaml";

const KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHhN0pQ7kV3u0m8Yz1aX9sLq2cW4eR6tY8uI0oP2aS4d";
let gh: GithubStandIn;
const dir = mkdtempSync(join(tmpdir(), `orchestra-managed-site-${process.pid}-`));
beforeAll(async () => {
  gh = await startGithubStandIn();
  gh.token = "ghp_site";
});
afterAll(async () => {
  await gh.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("the managed site's status", () => {
  it.each(["down", "bad-token", "rate-limit-reset", "rate-limit-retry-after", "malformed-branches"] as const)("keeps the last good environments and keys when GitHub is %s, and says so in managed-status.json and the log", async (mode: StandInMode) => {
    const dataDir = join(dir, mode);
    const codeDir = join(dataDir, "environments");
    gh.mode = "ok";
    gh.repos.set(`site/${mode}`, new Map([["production", { "manifests/site.pp": "node default { notify { 'good': } }\n" }]]));
    gh.users.set(`user-${mode}`.replaceAll("-", ""), [KEY]);
    const warnings: string[] = [];
    const logger = { info: () => {}, warn: (_f: object, m: string) => void warnings.push(m) };
    const site = await openManagedSite({
      dataDir, refreshSeconds: 0, logger, github: { baseUrl: gh.baseUrl, token: "ghp_site" },
      sshKeys: `gh:${`user-${mode}`.replaceAll("-", "")}`, puppetEnvironments: { repository: `site/${mode}`, branchPattern: "*", codeDir },
    });
    const runAll = async () => { for (const job of site.jobs) await job.run(); };
    const status = () => JSON.parse(readFileSync(join(dataDir, MANAGED_STATUS_FILE), "utf8"));
    await runAll();
    expect(status().environments.ok).toBe(true);

    gh.repos.get(`site/${mode}`)!.set("production", { "manifests/site.pp": "node default { notify { 'new': } }\n" });
    gh.mode = mode;
    // The stand-in's malformed mode spoils the branch list; a key list of garbage is the keys' counterpart.
    if (mode === "malformed-branches") gh.users.set(`user-${mode}`.replaceAll("-", ""), ["not a key"]);
    await runAll();
    const after = status();
    expect(after.environments.ok).toBe(false);
    expect(after.environments.message).toContain("last good environments kept");
    expect(Object.keys(after.environments.environments)).toEqual(["production"]);
    expect(readFileSync(join(codeDir, "production", "manifests", "site.pp"), "utf8")).toContain("good");
    expect(after.sshKeys[0].error).toBeDefined();
    expect(warnings.length).toBeGreaterThan(0);
    // New nodes still get the last good key.
    const inventory = new Inventory(await openStore(":memory:"));
    await addReadyMachines(inventory, 1);
    const { instance } = await inventory.allocate({}, "acct");
    const text = await inventory.db.transaction((tx) => site.nodeSetup.vendorDataWithin(tx, { instanceId: instance.instanceId, hostname: "n" }, new Date()));
    expect((load(text!) as { ssh_authorized_keys: string[] }).ssh_authorized_keys).toEqual([`${KEY} gh:${`user-${mode}`.replaceAll("-", "")}`]);
    expect(existsSync(join(dataDir, "pki", "ca.key"))).toBe(true);
    await inventory.db.close();
    gh.mode = "ok";
  });
});
