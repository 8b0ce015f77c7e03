import { execFile } from "node:child_process";
import { resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { tempDataDir } from "../helpers/inventory.ts";

const run = promisify(execFile);
const MAIN = resolve(import.meta.dirname, "../../lib/cli/main.ts");
const { dir, cleanup } = tempDataDir();
afterAll(cleanup);

async function orchestra(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [MAIN, "--data-dir", dir, ...args], { encoding: "utf8" });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe("orchestra credentials", () => {
  it("creates a key for an account, lists it without the secret, and revokes it", async () => {
    const created = await orchestra("credentials", "create", "--account", "acme", "--json");
    expect(created.code).toBe(0);
    const key = JSON.parse(created.stdout);
    expect(Object.keys(key).sort()).toEqual(["accessKeyId", "account", "secretAccessKey"]);
    expect(key.account).toBe("acme");

    const listed = await orchestra("credentials", "list", "--json");
    expect(JSON.parse(listed.stdout).map((c: { accessKeyId: string }) => c.accessKeyId)).toEqual([key.accessKeyId]);
    expect(listed.stdout).not.toContain(key.secretAccessKey);
    const table = await orchestra("credentials", "list");
    expect(table.stdout).toContain("ACCESS-KEY-ID");
    expect(table.stdout).not.toContain(key.secretAccessKey);

    expect((await orchestra("credentials", "revoke", key.accessKeyId)).code).toBe(0);
    const again = await orchestra("credentials", "revoke", key.accessKeyId, "--json");
    expect(again.code).toBe(1);
    expect(JSON.parse(again.stderr).error.code).toBe("INVALID_ARGUMENT");
    const unknown = await orchestra("credentials", "revoke", "AKIANOSUCHKEY0000000");
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("no access key");
  });

  it("creates, lists and revokes MAAS API keys with --maas, apart from EC2 keys", async () => {
    const created = await orchestra("credentials", "create", "--account", "juju", "--maas", "--json");
    expect(created.code).toBe(0);
    const key = JSON.parse(created.stdout);
    expect(Object.keys(key).sort()).toEqual(["account", "apiKey", "consumerKey", "tokenKey"]);
    expect(key.apiKey).toBe(`${key.consumerKey}:${key.tokenKey}:${key.apiKey.split(":")[2]}`);
    const secret = key.apiKey.split(":")[2];
    const listed = await orchestra("credentials", "list", "--maas");
    expect(listed.stdout).toContain("TOKEN-KEY");
    expect(listed.stdout).toContain(key.tokenKey);
    expect(listed.stdout).not.toContain(secret);
    // The EC2 list does not show MAAS keys.
    expect((await orchestra("credentials", "list")).stdout).not.toContain(key.tokenKey);
    expect((await orchestra("credentials", "revoke", "--maas", key.tokenKey)).code).toBe(0);
    expect(JSON.parse((await orchestra("credentials", "list", "--maas", "--json")).stdout)[0].revokedAt).toEqual(expect.any(String));
  });

  it("refuses a bad account name", async () => {
    const result = await orchestra("credentials", "create", "--account", "no spaces", "--json");
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
  });
});
