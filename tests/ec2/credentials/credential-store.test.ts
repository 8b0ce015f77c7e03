import { randomBytes } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { CredentialStore } from "../../../lib/ec2/credentials/credential-store.ts";
import { loadOrCreateSecretKey, SECRET_KEY_FILE, secretBox } from "../../../lib/ec2/credentials/secret-box.ts";
import { isAccessKeyId } from "../../../lib/ec2/credentials/access-key.ts";
import { openStore, DATABASE_FILE } from "../../../lib/store/open-store.ts";
import { isOrchestraError } from "../../../lib/errors.ts";
import { accountNumber } from "../../../lib/inventory/account-number.ts";
import { tempDataDir } from "../../helpers/inventory.ts";

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function storeIn(dir: string, key?: Uint8Array) {
  const db = await openStore(dir);
  cleanups.push(() => db.close());
  return new CredentialStore(db, secretBox(key ?? (await loadOrCreateSecretKey(join(dir, SECRET_KEY_FILE)))));
}

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  return promise.then(
    () => undefined,
    (e: unknown) => (isOrchestraError(e) ? e.code : "other"),
  );
}

describe("CredentialStore", () => {
  it("issues AWS-shaped keys whose secret opens only with the key file", async () => {
    const { dir, cleanup } = tempDataDir();
    cleanups.push(cleanup);
    const store = await storeIn(dir);
    const created = await store.create("acme");
    expect(isAccessKeyId(created.accessKeyId)).toBe(true);
    expect(created.secretAccessKey).toHaveLength(40);
    // The account's number comes with the key: answers show it as ownerId.
    expect(await store.lookup(created.accessKeyId)).toEqual({ account: "acme", accountId: accountNumber("acme"), secretAccessKey: created.secretAccessKey });

    // The database file never holds the secret in the clear.
    for (const suffix of ["-wal", ""]) {
      try {
        expect(readFileSync(join(dir, DATABASE_FILE + suffix)).includes(Buffer.from(created.secretAccessKey))).toBe(false);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
      }
    }
    // The database opened with any other key file (a stolen copy) cannot recover the secret.
    const thief = await storeIn(dir, randomBytes(32));
    expect(await codeOf(thief.lookup(created.accessKeyId))).toBe("CREDENTIAL_KEY_FILE");
  });

  it("keeps the key file private and reuses it", async () => {
    const { dir, cleanup } = tempDataDir();
    cleanups.push(cleanup);
    const path = join(dir, SECRET_KEY_FILE);
    const first = await loadOrCreateSecretKey(path);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(Buffer.from(await loadOrCreateSecretKey(path)).equals(Buffer.from(first))).toBe(true);
  });

  it("lists without secrets and revokes once", async () => {
    const store = await storeIn(":memory:", randomBytes(32));
    const a = await store.create("acme");
    const b = await store.create();
    const listed = await store.list();
    expect(listed.map((c) => [c.accessKeyId, c.account, c.revokedAt])).toEqual(
      expect.arrayContaining([
        [a.accessKeyId, "acme", null],
        [b.accessKeyId, "default", null],
      ]),
    );
    expect(JSON.stringify(listed)).not.toContain(a.secretAccessKey);
    expect(listed[0]!.accountId).toMatch(/^\d{12}$/);
    await store.revoke(a.accessKeyId);
    expect(await store.lookup(a.accessKeyId)).toBeUndefined();
    expect(await codeOf(store.revoke(a.accessKeyId))).toBe("INVALID_ARGUMENT");
    expect(await codeOf(store.revoke("AKIANOSUCHKEY0000000"))).toBe("CREDENTIAL_NOT_FOUND");
    expect(await codeOf(store.create("bad name!"))).toBe("INVALID_ARGUMENT");
  });

  it("binds a sealed secret to its access key id", () => {
    const box = secretBox(randomBytes(32));
    const sealed = box.seal("secret", "AKIAONE");
    expect(box.open(sealed, "AKIAONE")).toBe("secret");
    expect(() => box.open(sealed, "AKIATWO")).toThrow(/does not open/);
  });
});
