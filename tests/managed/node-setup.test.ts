/**
 * Managed nodes' vendor-data: every part (site CA, apt proxy, mutual-TLS syslog with the
 * node's own certificate, puppet with its one-time challenge, SSH keys) rendered for each new
 * instance at RunInstances, accepted by cloud-init's own schema check, and served by the
 * metadata service only to that node: a node cannot read another's certificate, key or
 * challenge.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RunInstancesCommand } from "@aws-sdk/client-ec2";
import { execa } from "execa";
import Fastify from "fastify";
import { load } from "js-yaml";
import forge from "node-forge";
import { afterAll, describe, expect, it } from "vitest";
import { IMAGES } from "../../lib/ec2/model/image-catalogue.ts";
import { nodeSetup } from "../../lib/managed/node-setup.ts";
import { metadataService } from "../../lib/metadata/metadata-service.ts";
import { StoreMetadataSource } from "../../lib/metadata/store-metadata-source.ts";
import { CHALLENGE_PASSWORD_OID, NODE_CERT_PATH, NODE_KEY_PATH, renderVendorData } from "../../lib/metadata/vendor-data.ts";
import { loadOrCreateSiteCa } from "../../lib/pki/site-ca.ts";
import { addReadyMachines } from "../helpers/inventory.ts";
import { startEc2Harness } from "../ec2/helpers/ec2-harness.ts";

const dir = mkdtempSync(join(tmpdir(), "orchestra-node-setup-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHhN0pQ7kV3u0m8Yz1aX9sLq2cW4eR6tY8uI0oP2aS4d octocat@github";

async function cloudInitSchema(text: string): Promise<{ exitCode: number; output: string }> {
  const file = join(dir, `schema-${Math.random().toString(16).slice(2)}.yaml`);
  writeFileSync(file, text);
  const result = await execa("cloud-init", ["schema", "--config-file", file], { reject: false, all: true });
  return { exitCode: result.exitCode ?? -1, output: String(result.all) };
}

function fetchFrom(from: string, port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const outgoing = request({ host: "127.0.0.1", port, path, localAddress: from, agent: false }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (c: Buffer) => chunks.push(c));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
    });
    outgoing.on("error", reject);
    outgoing.end();
  });
}

describe("managed nodes' vendor-data", () => {
  it("gives each new instance its own certificate and challenge, in vendor-data cloud-init's schema accepts, served only to that node", async () => {
    const ca = await loadOrCreateSiteCa(join(dir, "data"));
    const setup = nodeSetup({ ca, aptProxyUrl: "http://192.0.2.1:8000", syslog: { host: "192.0.2.1", port: 6514 }, puppetServer: "192.0.2.1", sshKeys: () => [KEY] });
    const harness = await startEc2Harness({ nodeSetup: setup });
    const app = Fastify({ logger: false });
    try {
      await addReadyMachines(harness.services.inventory, 2);
      const client = await harness.client("alice");
      const run = await client.send(new RunInstancesCommand({ ImageId: IMAGES[0]!.imageId, MinCount: 2, MaxCount: 2, InstanceType: "t2.nano" }));
      const ids = run.Instances!.map((i) => i.InstanceId!);
      const source = new StoreMetadataSource(harness.services.db);
      const secrets: string[] = [];
      for (const [n, id] of ids.entries()) {
        await harness.services.db.transaction((tx) => source.recordAddressWithin(tx, id, `127.0.0.${n + 2}`));
        // The store keeps a keyed hash to look the secret up by and a sealed copy of it.
        const row = await harness.services.db.get<{ sealed_nocloud_secret: string }>("SELECT sealed_nocloud_secret FROM instance_metadata WHERE instance_id = $1", [id]);
        secrets.push(harness.services.db.secrets.open(row!.sealed_nocloud_secret, `instance:${id}:nocloud`));
      }
      await app.register(metadataService, { source });
      await app.listen({ host: "127.0.0.1", port: 0 });
      const port = (app.server.address() as { port: number }).port;

      const served = await fetchFrom("127.0.0.2", port, `/nocloud/${secrets[0]}/vendor-data`);
      expect(served.status).toBe(200);
      const schema = await cloudInitSchema(served.body);
      expect(schema.exitCode, schema.output).toBe(0);
      const config = load(served.body) as Record<string, any>;
      expect(config.ca_certs.trusted).toEqual([ca.certPem]);
      expect(config.apt).toEqual({ proxy: "http://192.0.2.1:8000/" });
      expect(config.ssh_authorized_keys).toEqual([KEY]);
      const files = new Map((config.write_files as { path: string; content: string; permissions: string }[]).map((f) => [f.path, f]));
      expect(files.get(NODE_KEY_PATH)?.permissions).toBe("0600");
      const cert = forge.pki.certificateFromPem(files.get(NODE_CERT_PATH)!.content);
      expect(cert.subject.getField("CN").value).toBe(ids[0]);
      expect(ca.cert.verify(cert)).toBe(true);
      expect(config.rsyslog.configs[0].content).toContain(`DefaultNetstreamDriverCertFile="${NODE_CERT_PATH}"`);
      expect(config.puppet.conf.agent).toEqual({ server: "192.0.2.1", certname: ids[0] });
      const challengeA = config.puppet.csr_attributes.custom_attributes[CHALLENGE_PASSWORD_OID] as string;
      const row = await harness.services.db.get<{ challenge: string; cert_pem: string; key_pem: string }>("SELECT challenge, cert_pem, key_pem FROM node_credentials WHERE instance_id = $1", [ids[0]!]);
      // At rest the store has only a keyed hash of the challenge and a sealed key; the node got both in clear.
      expect(row!.challenge).toBe(harness.services.db.secrets.lookupKey(challengeA));
      expect(row!.challenge).not.toContain(challengeA);
      expect(row!.key_pem).not.toContain("PRIVATE KEY");
      expect(harness.services.db.secrets.open(row!.key_pem, `instance:${ids[0]}:node-key`)).toBe(files.get(NODE_KEY_PATH)!.content);
      const stored = await harness.services.db.get<{ vendor_data: string }>("SELECT vendor_data FROM instance_metadata WHERE instance_id = $1", [ids[0]!]);
      expect(stored!.vendor_data).not.toContain(challengeA);
      expect(stored!.vendor_data).not.toContain("PRIVATE KEY");

      // B's own vendor-data holds different credentials...
      const other = load((await fetchFrom("127.0.0.3", port, `/nocloud/${secrets[1]}/vendor-data`)).body) as Record<string, any>;
      const challengeB = other.puppet.csr_attributes.custom_attributes[CHALLENGE_PASSWORD_OID] as string;
      expect(challengeB).not.toBe(challengeA);
      const keyB = (other.write_files as { path: string; content: string }[]).find((f) => f.path === NODE_KEY_PATH)!.content;
      // ...which A cannot fetch with B's secret, nor find anywhere in its own metadata.
      expect((await fetchFrom("127.0.0.2", port, `/nocloud/${secrets[1]}/vendor-data`)).status).toBe(404);
      for (const path of [`/nocloud/${secrets[0]}/vendor-data`, `/nocloud/${secrets[0]}/meta-data`, `/nocloud/${secrets[0]}/user-data`, "/latest/meta-data/", "/latest/dynamic/instance-identity/document"]) {
        const body = (await fetchFrom("127.0.0.2", port, path)).body;
        expect(body).not.toContain(challengeB);
        expect(body).not.toContain(keyB.split("\n")[1]);
      }
    } finally {
      await app.close();
      await harness.close();
    }
  });

  it("leaves out each part that is not configured, and puts no credentials where nothing uses them", async () => {
    const ca = await loadOrCreateSiteCa(join(dir, "data"));
    const harness = await startEc2Harness();
    try {
      await addReadyMachines(harness.services.inventory, 1);
      const [{ instance }] = [await harness.services.inventory.allocate({}, "acct")];
      const text = await harness.services.db.transaction((tx) => nodeSetup({ ca, aptProxyUrl: "http://192.0.2.1:8000" }).vendorDataWithin(tx, { instanceId: instance.instanceId, hostname: "n" }, new Date()));
      expect(Object.keys(load(text!) as object).sort()).toEqual(["apt", "ca_certs"]);
      expect(await harness.services.db.get("SELECT 1 FROM node_credentials")).toBeUndefined();
      const none = await harness.services.db.transaction((tx) => nodeSetup({ ca, trustSiteCa: false }).vendorDataWithin(tx, { instanceId: instance.instanceId, hostname: "n" }, new Date()));
      expect(none).toBeNull();
    } finally {
      await harness.close();
    }
  });

  it("refuses a malformed key, certificate or challenge", () => {
    expect(() => renderVendorData({ sshKeys: ["ssh-ed25519 AAAA\nssh-rsa BBBB"] })).toThrow(/OpenSSH/);
    expect(() => renderVendorData({ siteCaPem: "junk" })).toThrow(/PEM/);
    const node = { instanceId: "i-0123456789abcdef0", certPem: "junk", keyPem: "junk", challenge: "x".repeat(40) };
    expect(() => renderVendorData({ node })).toThrow(/PEM/);
    expect(() => renderVendorData({ node: { ...node, challenge: "short" } })).toThrow(/challenge/);
  });
});
