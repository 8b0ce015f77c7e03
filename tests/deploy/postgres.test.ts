/**
 * Deployment on the PostgreSQL store: the deploy routes' SQL (the guarded phase updates, the
 * deployment row, the instance's address) through the ramdisk's real deploy program, on a
 * real throwaway cluster, so it is proven portable and not only on SQLite.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deploymentOf } from "../../lib/deploy/deployment-rows.ts";
import { Inventory } from "../../lib/inventory/index.ts";
import { StoreMetadataSource } from "../../lib/metadata/store-metadata-source.ts";
import { startServer } from "../../lib/server/orchestra-server.ts";
import { openStore } from "../../lib/store/open-store.ts";
import { startTestPostgres, type TestPostgres } from "../helpers/postgres.ts";
import { addOsImage, deployingMachine, gz, makeDiskImage, runDeployScript } from "./deploy-fixture.ts";

let postgres: TestPostgres;
let dir: string;
beforeAll(async () => {
  postgres = await startTestPostgres();
  dir = await mkdtemp(join(tmpdir(), "orchestra-deploy-pg-"));
}, 120_000);
afterAll(async () => {
  await postgres?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("deployment on PostgreSQL", () => {
  it("plans, writes, reports and boots through the same routes", async () => {
    const inventory = new Inventory(await openStore(join(dir, "data"), { databaseUrl: postgres.url }));
    const server = await startServer({ inventory, logger: pino({ level: "silent" }), bootListen: { host: "127.0.0.1", port: 0 }, timeoutSweepSeconds: 3600, dataDir: join(dir, "data") });
    try {
      const base = `http://127.0.0.1:${server.addresses.boot.port}`;
      const image = await addOsImage(join(dir, "data"), dir, gz((await makeDiskImage(dir)).raw));
      const { systemId, instanceId, token, nocloudSecret } = await deployingMachine(inventory, image);
      const run = await runDeployScript(dir, base, token);
      expect(run.exitCode, run.all).toBe(0);
      expect(await deploymentOf(inventory.db, systemId)).toMatchObject({ phase: "written", bytesDone: image.files.root!.sizeBytes, bytesTotal: image.files.root!.sizeBytes, consoleOffset: 0 });
      const booted = await fetch(`${base}/deploy/${token}/booted`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: `instance_id=${instanceId}&hostname=node` });
      expect(booted.status).toBe(200);
      expect((await inventory.getMachine(systemId)).status).toBe("deployed");
      expect((await new StoreMetadataSource(inventory.db).findByNocloudSecret(nocloudSecret))?.localIpv4).toBe("127.0.0.1");
    } finally {
      await server.close();
      await inventory.db.close();
    }
  }, 120_000);
});
