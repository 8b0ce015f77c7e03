/**
 * Secrets at rest (issue 11, finding 5): BMC passwords, user-data, deploy, erase and
 * commissioning tokens and NoCloud secrets were plain in orchestra.db. Tried as found: the
 * database files' bytes are searched for every secret the test created. Sealed with the
 * data directory's key file (the one that seals EC2 secret keys); a store written before
 * sealing is sealed when opened, and everything still reads back.
 */
import { readFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { commissioningTokenFor } from "../../lib/boot/node-token.ts";
import { deploymentByToken } from "../../lib/deploy/deployment-rows.ts";
import { erasureByToken, insertErasure } from "../../lib/deploy/erasure-rows.ts";
import type { BootImage } from "../../lib/images/boot-image.ts";
import { Inventory } from "../../lib/inventory/index.ts";
import { StoreMetadataSource } from "../../lib/metadata/store-metadata-source.ts";
import { SECRET_KEY_FILE } from "../../lib/store/secret-box.ts";
import { DATABASE_FILE, openStore } from "../../lib/store/open-store.ts";
import { sqliteFiles } from "../../lib/store/sqlite-database.ts";
import { deployingMachine } from "../deploy/deploy-fixture.ts";
import { forceStatus, nextMac, tempDataDir } from "../helpers/inventory.ts";

const BMC_PASSWORD = "Bmc-Passw0rd-4711";
const ERASE_TOKEN = "EraseTokenEraseTokenEraseToken01";
const COMMISSIONING_TOKEN = "CommissioningTokenCommissioning1";

/** Every byte of the database's files, as one latin1 string to search. */
async function databaseBytes(dataDir: string): Promise<string> {
  const files = sqliteFiles(join(dataDir, DATABASE_FILE)).filter((file) => existsSync(file));
  return (await Promise.all(files.map((file) => readFile(file)))).map((bytes) => bytes.toString("latin1")).join("\n");
}

/** A store holding one of each secret; answers the secrets and what reads them back. */
async function storeWithSecrets(inventory: Inventory) {
  const bmc = await inventory.addMachine({ interfaces: [{ mac: nextMac() }], power: { type: "ipmi", params: { address: "192.0.2.20", username: "admin", password: BMC_PASSWORD } } });
  const deploy = await deployingMachine(inventory, { id: "ami-0123456789abcdef0" } as BootImage);
  const eraser = await inventory.addMachine({ interfaces: [{ mac: nextMac() }], power: { type: "manual" } });
  await forceStatus(inventory, eraser.systemId, "disk_erasing");
  await inventory.db.transaction((tx) => insertErasure(tx, { systemId: eraser.systemId, token: ERASE_TOKEN, enteredAt: "2026-01-01T00:00:00.000Z", mode: "quick" }, new Date().toISOString()));
  const commissioner = await inventory.addMachine({ interfaces: [{ mac: nextMac() }], power: { type: "manual" } });
  await commissioningTokenFor(inventory.db, commissioner.systemId, "2026-01-01T00:00:00.000Z", () => COMMISSIONING_TOKEN, new Date().toISOString());
  return {
    // User-data is kept base64-encoded: search for that form, which is what a plain store held.
    secrets: [BMC_PASSWORD, deploy.token, deploy.nocloudSecret, Buffer.from("#!/bin/sh\necho hello\n").toString("base64"), ERASE_TOKEN, COMMISSIONING_TOKEN],
    async readBack(again: Inventory) {
      expect((await again.getMachine(bmc.systemId)).power.params.password).toBe(BMC_PASSWORD);
      expect(await deploymentByToken(again.db, deploy.token)).toMatchObject({ systemId: deploy.systemId, token: deploy.token, nocloudSecret: deploy.nocloudSecret });
      const md = await new StoreMetadataSource(again.db).findByNocloudSecret(deploy.nocloudSecret);
      expect(Buffer.from(md!.userData!).toString()).toContain("echo hello");
      expect(md!.nocloudSecret).toBe(deploy.nocloudSecret);
      expect(await erasureByToken(again.db, ERASE_TOKEN)).toMatchObject({ systemId: eraser.systemId, token: ERASE_TOKEN });
      expect((await commissioningTokenFor(again.db, commissioner.systemId, "2026-01-01T00:00:00.000Z", () => "never used", "x")).token).toBe(COMMISSIONING_TOKEN);
    },
  };
}

describe("secrets at rest", () => {
  it("no BMC password, user-data, token or NoCloud secret is in the database files; all read back", async () => {
    const { dir, cleanup } = tempDataDir();
    try {
      const inventory = new Inventory(await openStore(dir));
      const stored = await storeWithSecrets(inventory);
      for (const secret of stored.secrets) expect(await databaseBytes(dir), `${secret} in orchestra.db`).not.toContain(secret);
      await inventory.db.close();
      for (const secret of stored.secrets) expect(await databaseBytes(dir), `${secret} in orchestra.db after close`).not.toContain(secret);
      const again = new Inventory(await openStore(dir));
      await stored.readBack(again);
      await again.db.close();
    } finally {
      cleanup();
    }
  });

  it("a store written before sealing is sealed when opened (the data migration), and reads the same", async () => {
    const { dir, cleanup } = tempDataDir();
    try {
      const inventory = new Inventory(await openStore(dir));
      const stored = await storeWithSecrets(inventory);
      // Put the rows back the way an older Orchestra wrote them: everything plain.
      const { db } = inventory;
      const open = (value: string, context: string) => db.secrets.open(value, context);
      await db.transaction(async (tx) => {
        for (const m of await tx.all<{ system_id: string; power_params: string }>("SELECT system_id, power_params FROM machines")) {
          await tx.run("UPDATE machines SET power_params = $2 WHERE system_id = $1", [m.system_id, open(m.power_params, `machine:${m.system_id}:power`)]);
        }
        for (const d of await tx.all<{ machine_id: string; sealed_token: string; nocloud_secret: string }>("SELECT machine_id, sealed_token, nocloud_secret FROM deployments")) {
          await tx.run("UPDATE deployments SET token = $2, sealed_token = NULL, nocloud_secret = $3 WHERE machine_id = $1", [d.machine_id, open(d.sealed_token, `deployment:${d.machine_id}:token`), open(d.nocloud_secret, `deployment:${d.machine_id}:nocloud`)]);
        }
        for (const e of await tx.all<{ machine_id: string; sealed_token: string }>("SELECT machine_id, sealed_token FROM erasures")) {
          await tx.run("UPDATE erasures SET token = $2, sealed_token = NULL WHERE machine_id = $1", [e.machine_id, open(e.sealed_token, `erasure:${e.machine_id}:token`)]);
        }
        for (const md of await tx.all<{ instance_id: string; user_data: string; sealed_nocloud_secret: string }>("SELECT instance_id, user_data, sealed_nocloud_secret FROM instance_metadata")) {
          await tx.run("UPDATE instance_metadata SET user_data = $2, nocloud_secret = $3, sealed_nocloud_secret = NULL WHERE instance_id = $1", [
            md.instance_id,
            open(md.user_data, `instance:${md.instance_id}:metadata-user-data`),
            open(md.sealed_nocloud_secret, `instance:${md.instance_id}:nocloud`),
          ]);
        }
      });
      await db.close();
      const plain = await databaseBytes(dir);
      for (const secret of stored.secrets.filter((s) => s !== COMMISSIONING_TOKEN)) expect(plain).toContain(secret);

      const again = new Inventory(await openStore(dir));
      // Sealed in the files while the store is open, not only once its last connection closes.
      for (const secret of stored.secrets) expect(await databaseBytes(dir), `${secret} left plain while open`).not.toContain(secret);
      await again.db.close();
      for (const secret of stored.secrets) expect(await databaseBytes(dir), `${secret} left plain`).not.toContain(secret);
      const third = new Inventory(await openStore(dir));
      await stored.readBack(third);
      await third.db.close();
    } finally {
      cleanup();
    }
  });

  it("they are sealed with the key file that seals EC2 secrets: without it, nothing opens", async () => {
    const { dir, cleanup } = tempDataDir();
    try {
      const inventory = new Inventory(await openStore(dir));
      const { systemId } = await inventory.addMachine({ interfaces: [{ mac: nextMac() }], power: { type: "ipmi", params: { address: "192.0.2.20", username: "admin", password: BMC_PASSWORD } } });
      await inventory.db.close();
      expect(existsSync(join(dir, SECRET_KEY_FILE))).toBe(true);
      const { writeFile } = await import("node:fs/promises");
      await writeFile(join(dir, SECRET_KEY_FILE), Buffer.alloc(32, 1));
      const stranger = new Inventory(await openStore(dir));
      // The row reads (its power settings are opened only when used); the sealed settings do not open.
      const machine = await stranger.getMachine(systemId);
      expect(() => machine.power.params).toThrow(expect.objectContaining({ code: "CREDENTIAL_KEY_FILE" }));
      await stranger.db.close();
    } finally {
      cleanup();
    }
  });
});
