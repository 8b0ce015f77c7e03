/**
 * `orchestra serve` with managed nodes: it creates the site CA before anything needs it, syncs
 * puppet environments and gh: users' keys from the GitHub stand-in (Octokit with
 * --github-api-url), writes their state to managed-status.json, and refuses bad settings
 * before starting anything.
 */
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startOrchestra } from "../helpers/cli.ts";
import { startGithubStandIn, type GithubStandIn } from "../helpers/github-stand-in.ts";
import { tempDataDir } from "../helpers/inventory.ts";

const KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHhN0pQ7kV3u0m8Yz1aX9sLq2cW4eR6tY8uI0oP2aS4d";
let gh: GithubStandIn;
beforeAll(async () => {
  gh = await startGithubStandIn();
});
afterAll(() => gh.close());

async function until<T>(what: string, probe: () => T | undefined): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const value = probe();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function refused(args: string[]): Promise<string> {
  const { dir, cleanup } = tempDataDir();
  try {
    const child = startOrchestra(["--data-dir", dir, "serve", "--boot-listen", "127.0.0.1:0", "--api-listen", "127.0.0.1:0", ...args]);
    let stderr = "";
    child.stderr!.on("data", (c: Buffer) => (stderr += c.toString()));
    const result = await child;
    expect(result.exitCode).toBe(1);
    return stderr;
  } finally {
    cleanup();
  }
}

describe("orchestra serve with managed nodes", () => {
  it("creates the CA, syncs environments and gh: keys from GitHub, and reports them in managed-status.json", async () => {
    const { dir, cleanup } = tempDataDir();
    gh.token = "ghp_serve";
    gh.repos.set("site/code", new Map([["production", { "manifests/site.pp": "node default {}\n" }], ["feature/x", { "manifests/site.pp": "" }]]));
    gh.users.set("octocat", [KEY]);
    writeFileSync(join(dir, "token"), "ghp_serve\n");
    const codeDir = join(dir, "environments");
    const child = startOrchestra([
      "--data-dir", dir, "serve", "--boot-listen", "127.0.0.1:0", "--api-listen", "127.0.0.1:0",
      "--node-syslog", "192.0.2.1:6514", "--node-puppet-server", "192.0.2.1", "--node-ssh-keys", "gh:octocat",
      "--puppet-repository", "site/code", "--puppet-code-dir", codeDir, "--github-api-url", gh.baseUrl, "--github-token-file", join(dir, "token"),
    ]);
    try {
      const status = await until("managed-status.json", () => {
        const file = join(dir, "managed-status.json");
        if (!existsSync(file)) return undefined;
        const parsed = JSON.parse(readFileSync(file, "utf8"));
        return parsed.environments && parsed.sshKeys ? parsed : undefined;
      });
      expect(status.environments).toMatchObject({ ok: true, environments: { production: expect.any(String) }, skipped: ["feature/x"] });
      expect(status.sshKeys).toEqual([expect.objectContaining({ user: "octocat", keys: 1 })]);
      expect(readFileSync(join(codeDir, "production", "manifests", "site.pp"), "utf8")).toBe("node default {}\n");
      expect(statSync(join(dir, "pki", "ca.key")).mode & 0o777).toBe(0o600);
      child.kill("SIGTERM");
      expect((await child).exitCode).toBe(0);
    } finally {
      child.kill("SIGKILL");
      cleanup();
    }
  });

  it("refuses bad managed-node settings before starting anything", async () => {
    expect(await refused(["--node-syslog", "nohost"])).toContain("invalid --node-syslog");
    expect(await refused(["--node-ssh-keys", "gh:../x"])).toContain("gh: and a GitHub user name");
    expect(await refused(["--puppet-repository", "just-a-name"])).toContain("owner/name");
    expect(await refused(["--node-apt-proxy", "ftp://x"])).toContain("http://");
  });
});
