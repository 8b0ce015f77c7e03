/**
 * A running node renews its syslog client certificate before it expires: its vendor-data
 * installs a script and a daily cron entry; the script (run here for real, with /etc as an
 * overlay in a private mount namespace so it writes /etc/orchestra/node.pem without touching
 * this machine's) posts a CSR signed with the node's key to the metadata service, which
 * answers a new certificate for that key. The real rsyslog refuses the expired certificate and
 * accepts the renewed one. Another node cannot renew for a key that is not its own, and a
 * terminated node renews nothing.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { connect } from "node:tls";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa, type ResultPromise } from "execa";
import Fastify from "fastify";
import { load } from "js-yaml";
import forge from "node-forge";
import { afterAll, describe, expect, it } from "vitest";
import { Inventory } from "../../lib/inventory/inventory.ts";
import { syncSyslogPeers } from "../../lib/managed/syslog-peers.ts";
import { metadataService, NODE_CERTIFICATE_PATH } from "../../lib/metadata/metadata-service.ts";
import { StoreMetadataSource } from "../../lib/metadata/store-metadata-source.ts";
import { NODE_CERT_PATH, NODE_KEY_PATH, NODE_RENEW_CRON_PATH, NODE_RENEW_SCRIPT_PATH, renderVendorData } from "../../lib/metadata/vendor-data.ts";
import { issueNodeCredentialWithin } from "../../lib/pki/node-credentials.ts";
import { renewNodeCertificate } from "../../lib/pki/renew-node-certificate.ts";
import { loadOrCreateSiteCa } from "../../lib/pki/site-ca.ts";
import { openStore } from "../../lib/store/open-store.ts";
import { freeTcpPort } from "../helpers/free-port.ts";
import { addReadyMachines } from "../helpers/inventory.ts";
import { sendSyslogOverTls, waitForLine } from "../helpers/syslog-tls-client.ts";

const dir = mkdtempSync(join(tmpdir(), `orchestra-node-renewal-${process.pid}-`));
let rsyslog: ResultPromise | undefined;
afterAll(async () => {
  if (rsyslog?.pid) {
    rsyslog.kill("SIGTERM");
    await rsyslog;
  }
  rmSync(dir, { recursive: true, force: true });
});

const DAY = 24 * 3600 * 1000;

function post(from: string, port: number, body: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const outgoing = request({ host: "127.0.0.1", port, path: NODE_CERTIFICATE_PATH, method: "POST", localAddress: from, agent: false, headers: { "content-type": "application/x-pem-file" } }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (c: Buffer) => chunks.push(c));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
    });
    outgoing.on("error", reject);
    outgoing.end(body);
  });
}

/** A CSR signed with `keyPem`, made by OpenSSL as the node's script makes it. */
async function csrFor(keyPem: string): Promise<string> {
  const keyFile = join(dir, `key-${Math.random().toString(16).slice(2)}.pem`);
  writeFileSync(keyFile, keyPem, { mode: 0o600 });
  return (await execa("openssl", ["req", "-new", "-key", keyFile, "-subj", "/CN=orchestra-node"])).stdout;
}


describe("node certificate renewal", () => {
  it("renews an expiring node certificate through the node's own script, and the real rsyslog accepts the renewed one", async () => {
    const inventory = new Inventory(await openStore(":memory:"));
    const db = inventory.db;
    const data = join(dir, "data");
    const ca = await loadOrCreateSiteCa(data);
    await addReadyMachines(inventory, 2);
    const a = await inventory.allocate({}, "acct");
    const b = await inventory.allocate({}, "acct");
    const source = new StoreMetadataSource(db);
    // Node A talks from 127.0.0.1 (the script's curl has no choice of source address).
    await source.put({ instanceId: a.instance.instanceId, localIpv4: "127.0.0.1", hostname: "node-a", availabilityZone: "z" });
    await source.put({ instanceId: b.instance.instanceId, localIpv4: "127.0.0.3", hostname: "node-b", availabilityZone: "z" });
    // A's certificate was issued 100 days ago: with a 90-day life it has expired.
    const credA = await db.transaction((tx) => issueNodeCredentialWithin(tx, ca, { instanceId: a.instance.instanceId, hostname: "node-a" }, new Date(Date.now() - 100 * DAY)));
    const credB = await db.transaction((tx) => issueNodeCredentialWithin(tx, ca, { instanceId: b.instance.instanceId, hostname: "node-b" }));

    const app = Fastify({ logger: false });
    await app.register(metadataService, { source, renewNodeCertificate: (id, csr) => renewNodeCertificate(db, ca, id, csr) });
    await app.listen({ host: "127.0.0.1", port: 0 });
    const port = (app.server.address() as { port: number }).port;
    const url = `http://127.0.0.1:${port}${NODE_CERTIFICATE_PATH}`;

    // The vendor-data: the script and its cron entry, in a document cloud-init's schema accepts.
    const text = renderVendorData({ node: credA, syslog: { host: "127.0.0.1", port: 6514, caPem: ca.certPem }, certificateRenewalUrl: url });
    const vendorFile = join(dir, "vendor-data.yaml");
    writeFileSync(vendorFile, text);
    const schema = await execa("cloud-init", ["schema", "--config-file", vendorFile], { reject: false, all: true });
    expect(schema.exitCode, String(schema.all)).toBe(0);
    const files = new Map(((load(text) as { write_files: { path: string; content: string; permissions: string }[] }).write_files).map((f) => [f.path, f]));
    expect(files.get(NODE_RENEW_SCRIPT_PATH)?.permissions).toBe("0755");
    expect(files.get(NODE_RENEW_CRON_PATH)?.content).toMatch(new RegExp(`^\\d+ 4 \\* \\* \\* root ${NODE_RENEW_SCRIPT_PATH} `, "m"));

    // The real rsyslog, mutual TLS, A and B permitted (the lab/serve path, syncSyslogPeers).
    const logDir = join(dir, "hosts");
    mkdirSync(logDir);
    mkdirSync(join(dir, "work"));
    const syslogPort = await freeTcpPort();
    const confFile = join(dir, "rsyslog.conf");
    const restart = async () => {
      if (rsyslog?.pid) {
        rsyslog.kill("SIGTERM");
        await rsyslog;
      }
      rsyslog = execa("rsyslogd", ["-n", "-f", confFile, "-i", join(dir, "rsyslog.pid")], { reject: false });
      for (let i = 0; i < 100; i++) {
        const up = await new Promise<boolean>((r) => { const s = connect({ host: "127.0.0.1", port: syslogPort, rejectUnauthorized: false }); s.on("secureConnect", () => { s.destroy(); r(true); }); s.on("error", () => r(false)); });
        if (up) return;
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    await syncSyslogPeers({ db, ca, dataDir: data, address: "127.0.0.1", listen: "127.0.0.1", port: syslogPort, confFile, logDir, workDirectory: join(dir, "work"), restart });
    await sendSyslogOverTls(syslogPort, ca.certPem, "node-a", "while-expired", credA);
    await sendSyslogOverTls(syslogPort, ca.certPem, "node-b", "marker", credB);
    await waitForLine(join(logDir, "node-b.log"), "marker");

    // The node: /etc is an overlay whose writes land in `upper`; systemctl and service are stand-ins that record.
    const upper = join(dir, "upper");
    mkdirSync(join(upper, "orchestra"), { recursive: true });
    mkdirSync(join(dir, "overlay-work"));
    writeFileSync(join(upper, NODE_CERT_PATH.replace("/etc/", "")), credA.certPem);
    writeFileSync(join(upper, NODE_KEY_PATH.replace("/etc/", "")), credA.keyPem, { mode: 0o600 });
    const script = join(dir, "orchestra-renew-certificate");
    writeFileSync(script, files.get(NODE_RENEW_SCRIPT_PATH)!.content, { mode: 0o755 });
    const bin = join(dir, "bin");
    mkdirSync(bin);
    const calls = join(dir, "calls.log");
    for (const tool of ["systemctl", "service"]) {
      writeFileSync(join(bin, tool), `#!/bin/sh\necho "${tool} $*" >> ${calls}\n`);
      chmodSync(join(bin, tool), 0o755);
    }
    const runScript = () => execa("unshare", ["-m", "--propagation", "private", "sh", "-c", 'mount -t overlay overlay -o "lowerdir=/etc,upperdir=$1,workdir=$2" /etc && exec "$3"', "sh", upper, join(dir, "overlay-work"), script], { env: { PATH: `${bin}:${process.env.PATH}` }, reject: false, all: true });
    const first = await runScript();
    expect(first.exitCode, String(first.all)).toBe(0);
    const renewedPem = readFileSync(join(upper, "orchestra", "node.pem"), "utf8");
    expect(renewedPem).not.toBe(credA.certPem);
    const renewed = forge.pki.certificateFromPem(renewedPem);
    expect(renewed.validity.notAfter.getTime()).toBeGreaterThan(Date.now() + 80 * DAY);
    expect(renewed.subject.getField("CN").value).toBe(a.instance.instanceId);
    expect((renewed.publicKey as forge.pki.rsa.PublicKey).n.compareTo((forge.pki.certificateFromPem(credA.certPem).publicKey as forge.pki.rsa.PublicKey).n)).toBe(0);
    writeFileSync(join(dir, "ca.pem"), ca.certPem);
    writeFileSync(join(dir, "renewed.pem"), renewedPem);
    await execa("openssl", ["verify", "-CAfile", join(dir, "ca.pem"), "-purpose", "sslclient", join(dir, "renewed.pem")]);
    expect(readFileSync(calls, "utf8")).toMatch(/rsyslog/);
    // The store has the new certificate: what the syslog peers and the next renewal compare with.
    expect((await db.get<{ cert_pem: string }>("SELECT cert_pem FROM node_credentials WHERE instance_id = $1", [a.instance.instanceId]))!.cert_pem).toBe(renewedPem);

    await sendSyslogOverTls(syslogPort, ca.certPem, "node-a", "after-renewal", { certPem: renewedPem, keyPem: credA.keyPem });
    await waitForLine(join(logDir, "node-a.log"), "after-renewal");
    expect(readFileSync(join(logDir, "node-a.log"), "utf8")).not.toContain("while-expired");

    // Not due: the same certificate again, and rsyslog is left alone.
    rmSync(calls);
    const second = await runScript();
    expect(second.exitCode, String(second.all)).toBe(0);
    expect(readFileSync(join(upper, "orchestra", "node.pem"), "utf8")).toBe(renewedPem);
    expect(existsSync(calls)).toBe(false);
    await app.close();
    await db.close();
  });

  it("renews only the asking node's own key, only while its instance is open, and refuses a malformed request", async () => {
    const inventory = new Inventory(await openStore(":memory:"));
    const db = inventory.db;
    const ca = await loadOrCreateSiteCa(join(dir, "refusals"));
    await addReadyMachines(inventory, 2);
    const a = await inventory.allocate({}, "acct");
    const b = await inventory.allocate({}, "acct");
    const source = new StoreMetadataSource(db);
    await source.put({ instanceId: a.instance.instanceId, localIpv4: "127.0.0.2", hostname: "node-a", availabilityZone: "z" });
    await source.put({ instanceId: b.instance.instanceId, localIpv4: "127.0.0.3", hostname: "node-b", availabilityZone: "z" });
    const old = new Date(Date.now() - 70 * DAY);
    const credA = await db.transaction((tx) => issueNodeCredentialWithin(tx, ca, { instanceId: a.instance.instanceId, hostname: "node-a" }, old));
    const credB = await db.transaction((tx) => issueNodeCredentialWithin(tx, ca, { instanceId: b.instance.instanceId, hostname: "node-b" }, old));
    const app = Fastify({ logger: false });
    await app.register(metadataService, { source, renewNodeCertificate: (id, csr) => renewNodeCertificate(db, ca, id, csr) });
    await app.listen({ host: "127.0.0.1", port: 0 });
    const port = (app.server.address() as { port: number }).port;
    const serial = async (id: string) => (await db.get<{ serial: string }>("SELECT serial FROM node_credentials WHERE instance_id = $1", [id]))!.serial;
    const serialB = await serial(b.instance.instanceId);

    // B holds A's key (say it read it somewhere): B still gets nothing for it, and nothing changes.
    const withKeyA = await post("127.0.0.3", port, await csrFor(credA.keyPem));
    expect(withKeyA.status).toBe(403);
    expect(withKeyA.body).toContain("PKI_INVALID");
    expect(await serial(b.instance.instanceId)).toBe(serialB);
    // An address that is no node's, a body that is not a CSR, a CSR whose signature does not verify.
    expect((await post("127.0.0.9", port, await csrFor(credA.keyPem))).status).toBe(404);
    expect((await post("127.0.0.3", port, "not a csr")).status).toBe(403);
    const lines = (await csrFor(credB.keyPem)).split("\n");
    lines[5] = `${lines[5]!.slice(0, 10)}${lines[5]![10] === "A" ? "B" : "A"}${lines[5]!.slice(11)}`;
    const tampered = lines.join("\n");
    expect((await post("127.0.0.3", port, tampered)).status).toBe(403);
    expect(await serial(b.instance.instanceId)).toBe(serialB);
    // B with its own key, in its renewal window: a new certificate naming B only.
    const own = await post("127.0.0.3", port, await csrFor(credB.keyPem));
    expect(own.status).toBe(200);
    const cert = forge.pki.certificateFromPem(own.body);
    expect(cert.subject.getField("CN").value).toBe(b.instance.instanceId);
    expect(ca.cert.verify(cert)).toBe(true);
    expect(await serial(b.instance.instanceId)).not.toBe(serialB);

    // Terminated: its address answers nothing, and the store cannot be asked to renew it either.
    await inventory.release(a.machine.systemId);
    expect((await post("127.0.0.2", port, await csrFor(credA.keyPem))).status).toBe(404);
    await expect(renewNodeCertificate(db, ca, a.instance.instanceId, await csrFor(credA.keyPem))).rejects.toMatchObject({ code: "INSTANCE_NOT_FOUND" });
    await app.close();
    await db.close();
  });

  it("answers 404 where the server has no node certificates to renew", async () => {
    const inventory = new Inventory(await openStore(":memory:"));
    await addReadyMachines(inventory, 1);
    const a = await inventory.allocate({}, "acct");
    const source = new StoreMetadataSource(inventory.db);
    await source.put({ instanceId: a.instance.instanceId, localIpv4: "127.0.0.2", hostname: "node-a", availabilityZone: "z" });
    const app = Fastify({ logger: false });
    await app.register(metadataService, { source });
    await app.listen({ host: "127.0.0.1", port: 0 });
    const port = (app.server.address() as { port: number }).port;
    expect((await post("127.0.0.2", port, "x")).status).toBe(404);
    await app.close();
    await inventory.db.close();
  });
});
