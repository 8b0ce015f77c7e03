import { pino } from "pino";
import { load } from "js-yaml";
import forge from "node-forge";
import { describe, expect, it } from "vitest";
import { openManagedSite } from "../../lib/managed/managed-site.ts";
import { NODE_KEY_PATH, NODE_RENEW_SCRIPT_PATH } from "../../lib/metadata/vendor-data.ts";
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

  it("renews a node's certificate at /orchestra/node-certificate when the managed site mints them, and tells nodes that URL in their vendor-data", async () => {
    const inventory = await memoryInventory();
    await addReadyMachines(inventory, 1);
    const { instance } = await inventory.allocate({}, "acct-a");
    await new StoreMetadataSource(inventory.db).put({ instanceId: instance.instanceId, localIpv4: "127.0.0.1", hostname: "node-a", availabilityZone: "default" });
    const data = tempDataDir();
    const site = await openManagedSite({ dataDir: data.dir, syslog: { host: "192.0.2.1", port: 6514 }, metadataUrl: "http://192.0.2.1:5248", refreshSeconds: 300, logger: { info: () => {}, warn: () => {} } });
    // Deployed 70 days ago: in its renewal window.
    const vendorData = await inventory.db.transaction((tx) => site.nodeSetup.vendorDataWithin(tx, { instanceId: instance.instanceId, hostname: "node-a" }, new Date(Date.now() - 70 * 24 * 3600 * 1000)));
    const files = (load(vendorData!) as { write_files: { path: string; content: string }[] }).write_files;
    expect(files.find((f) => f.path === NODE_RENEW_SCRIPT_PATH)!.content).toContain("url='http://192.0.2.1:5248/orchestra/node-certificate'");
    const keyPem = files.find((f) => f.path === NODE_KEY_PATH)!.content;
    const key = forge.pki.privateKeyFromPem(keyPem);
    const csr = forge.pki.createCertificationRequest();
    csr.publicKey = forge.pki.setRsaPublicKey(key.n, key.e);
    csr.setSubject([{ name: "commonName", value: "anything" }]);
    csr.sign(key, forge.md.sha256.create());
    const server = await startServer({
      inventory, logger: pino({ level: "silent" }), bootListen: { host: "127.0.0.1", port: 0 }, timeoutSweepSeconds: 3600, dataDir: data.dir,
      metadata: { renewNodeCertificate: (id, pem) => site.renewNodeCertificate!(inventory.db, id, pem) },
    });
    try {
      const response = await fetch(`http://127.0.0.1:${server.addresses.boot.port}/orchestra/node-certificate`, { method: "POST", headers: { "content-type": "application/x-pem-file" }, body: forge.pki.certificationRequestToPem(csr) });
      expect(response.status).toBe(200);
      const cert = forge.pki.certificateFromPem(await response.text());
      expect(cert.subject.getField("CN").value).toBe(instance.instanceId);
      expect(cert.validity.notAfter.getTime()).toBeGreaterThan(Date.now() + 80 * 24 * 3600 * 1000);
    } finally {
      await server.close();
      await inventory.db.close();
      data.cleanup();
    }
  });
});
