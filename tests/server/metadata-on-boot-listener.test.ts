import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { StoreMetadataSource } from "../../lib/metadata/store-metadata-source.ts";
import { startServer } from "../../lib/server/orchestra-server.ts";
import { addReadyMachines, memoryInventory, tempDataDir } from "../helpers/inventory.ts";

describe("orchestra serve's boot listener", () => {
  it("serves the metadata service from the store, beside /healthz", async () => {
    const inventory = await memoryInventory();
    await addReadyMachines(inventory, 1);
    const { instance } = await inventory.allocate({}, "acct-a");
    await new StoreMetadataSource(inventory.db).put({ instanceId: instance.instanceId, localIpv4: "127.0.0.1", hostname: "node-a", availabilityZone: "default", userData: Buffer.from("#!/bin/sh\ntrue\n") });
    const data = tempDataDir();
    const server = await startServer({ inventory, logger: pino({ level: "silent" }), bootListen: { host: "127.0.0.1", port: 0 }, timeoutSweepSeconds: 3600, dataDir: data.dir });
    try {
      const base = `http://127.0.0.1:${server.addresses.boot.port}`;
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      const id = await fetch(`${base}/latest/meta-data/instance-id`);
      expect([id.status, await id.text()]).toEqual([200, instance.instanceId]);
      expect(await (await fetch(`${base}/latest/user-data`)).text()).toBe("#!/bin/sh\ntrue\n");
    } finally {
      await server.close();
      await inventory.db.close();
      data.cleanup();
    }
  });
});
