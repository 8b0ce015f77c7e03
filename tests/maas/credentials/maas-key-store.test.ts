/**
 * MAAS API keys: MAAS's shape, sealed at rest (the database alone never holds a usable
 * secret), shared accounts with EC2, revocation, and the OAuth header parser's edge cases.
 */
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { CredentialStore } from "../../../lib/ec2/credentials/credential-store.ts";
import { secretBox } from "../../../lib/ec2/credentials/secret-box.ts";
import { parseOAuthHeader, verifyOAuthPlaintext } from "../../../lib/maas/auth/oauth-plaintext.ts";
import { MaasKeyStore } from "../../../lib/maas/credentials/maas-key-store.ts";
import { openStore } from "../../../lib/store/open-store.ts";
import { plaintextHeader } from "../helpers/maas-harness.ts";

async function stores() {
  const db = await openStore(":memory:");
  const box = secretBox(randomBytes(32));
  return { db, maas: new MaasKeyStore(db, box), ec2: new CredentialStore(db, box) };
}

describe("MaasKeyStore", () => {
  it("issues consumer:token:secret keys, stores the secret sealed and shares the account with EC2", async () => {
    const { db, maas, ec2 } = await stores();
    const key = await maas.create("team");
    const [consumer, token, secret] = key.apiKey.split(":");
    expect([consumer!.length, token!.length, secret!.length]).toEqual([18, 18, 32]);
    const dump = JSON.stringify(await db.all("SELECT * FROM maas_api_keys"));
    expect(dump).toContain(token);
    expect(dump).not.toContain(secret);
    expect(await maas.lookup(token!)).toEqual({ account: "team", consumerKey: consumer, tokenSecret: secret });
    // One account row for both kinds of key.
    await ec2.create("team");
    expect(await db.all("SELECT name FROM ec2_accounts")).toEqual([{ name: "team" }]);
    expect((await maas.list()).map((k) => [k.tokenKey, k.account, k.revokedAt])).toEqual([[token, "team", null]]);
    await db.close();
  });

  it("revokes, refuses a second revocation and unknown keys, and validates account names", async () => {
    const { db, maas } = await stores();
    const key = await maas.create("a");
    await maas.revoke(key.tokenKey);
    expect(await maas.lookup(key.tokenKey)).toBeUndefined();
    await expect(maas.revoke(key.tokenKey)).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
    await expect(maas.revoke("nope")).rejects.toMatchObject({ code: "CREDENTIAL_NOT_FOUND" });
    await expect(maas.create("bad name")).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
    await db.close();
  });
});

describe("OAuth PLAINTEXT", () => {
  it("parses gomaasapi's header (values URL-escaped, any order)", () => {
    const parsed = parseOAuthHeader('OAuth oauth_signature="%26abc", realm="MAAS API", oauth_token="t"');
    expect(Object.fromEntries(parsed!)).toEqual({ oauth_signature: "&abc", realm: "MAAS API", oauth_token: "t" });
    expect(parseOAuthHeader("Bearer x")).toBeUndefined();
    expect(() => parseOAuthHeader('OAuth a="1", a="2"')).toThrow(/Duplicate/);
  });

  it("accepts a fresh signature and refuses one outside the 300-second window", async () => {
    const { db, maas } = await stores();
    const key = await maas.create("a");
    const now = new Date();
    const ts = Math.floor(now.getTime() / 1000);
    await expect(verifyOAuthPlaintext(plaintextHeader(key.apiKey, ts - 299), maas.lookup, now)).resolves.toMatchObject({ account: "a" });
    await expect(verifyOAuthPlaintext(plaintextHeader(key.apiKey, ts + 301), maas.lookup, now)).rejects.toMatchObject({ code: "MAAS_UNAUTHORIZED" });
    await db.close();
  });
});
