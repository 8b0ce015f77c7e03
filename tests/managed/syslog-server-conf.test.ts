/**
 * Syslog over mutual TLS with real rsyslog (rsyslog-gnutls) on loopback: a node's certificate
 * from the site CA is accepted and its lines land in its per-host file; a client with no
 * certificate, with one from another CA, or with a revoked one (its instance terminated, so
 * off the permitted list) is refused and nothing it sends is written.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:tls";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa, type ResultPromise } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Inventory } from "../../lib/inventory/inventory.ts";
import { renderSyslogServerConf } from "../../lib/managed/syslog-server-conf.ts";
import { issueServerCertificate } from "../../lib/pki/issue-certificate.ts";
import { activeNodeNames, issueNodeCredentialWithin, type NodeCredential } from "../../lib/pki/node-credentials.ts";
import { loadOrCreateSiteCa, type SiteCa } from "../../lib/pki/site-ca.ts";
import { openStore } from "../../lib/store/open-store.ts";
import { freeTcpPort } from "../helpers/free-port.ts";
import { addReadyMachines } from "../helpers/inventory.ts";

const dir = mkdtempSync(join(tmpdir(), "orchestra-syslog-tls-"));
const logDir = join(dir, "hosts");
let rsyslog: ResultPromise | undefined;
let port: number;
let ca: SiteCa;
let live: NodeCredential;
let revoked: NodeCredential;
let inventory: Inventory;

/** Send one RFC 5424 line from `host` over TLS; resolves whether the TLS session came up and stayed up until sent. */
function send(host: string, text: string, credential?: { certPem: string; keyPem: string }): Promise<void> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port, ca: ca.certPem, servername: "127.0.0.1", ...(credential ? { cert: credential.certPem, key: credential.keyPem } : {}) }, () => {
      socket.write(`<14>1 2026-01-01T00:00:00Z ${host} test - - - ${text}\n`, () => setTimeout(() => socket.end(), 200));
    });
    socket.on("error", () => resolve());
    socket.on("close", () => resolve());
  });
}

async function waitForFile(path: string, needle: string): Promise<string> {
  for (let i = 0; i < 100; i++) {
    if (existsSync(path) && readFileSync(path, "utf8").includes(needle)) return readFileSync(path, "utf8");
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${needle} never reached ${path}; rsyslog said: ${readFileSync(join(dir, "rsyslog.err"), "utf8")}`);
}

beforeAll(async () => {
  inventory = new Inventory(await openStore(":memory:"));
  ca = await loadOrCreateSiteCa(join(dir, "data"));
  await addReadyMachines(inventory, 2);
  const a = await inventory.allocate({}, "acct");
  const b = await inventory.allocate({}, "acct");
  live = await inventory.db.transaction((tx) => issueNodeCredentialWithin(tx, ca, { instanceId: a.instance.instanceId, hostname: "node-live" }));
  revoked = await inventory.db.transaction((tx) => issueNodeCredentialWithin(tx, ca, { instanceId: b.instance.instanceId, hostname: "node-revoked" }));
  await inventory.release(b.machine.systemId);
  const server = issueServerCertificate(ca, ["127.0.0.1"]);
  writeFileSync(join(dir, "ca.pem"), ca.certPem);
  writeFileSync(join(dir, "server.pem"), server.certPem);
  writeFileSync(join(dir, "server.key"), server.keyPem, { mode: 0o600 });
  mkdirSync(logDir);
  mkdirSync(join(dir, "work"));
  port = await freeTcpPort();
  const conf = join(dir, "rsyslog.conf");
  writeFileSync(conf, renderSyslogServerConf({
    address: "127.0.0.1", port, caFile: join(dir, "ca.pem"), certFile: join(dir, "server.pem"), keyFile: join(dir, "server.key"), logDir,
    permittedPeers: await activeNodeNames(inventory.db), workDirectory: join(dir, "work"),
  }));
  const check = await execa("rsyslogd", ["-N1", "-f", conf], { reject: false, all: true });
  expect(check.exitCode, String(check.all)).toBe(0);
  rsyslog = execa("rsyslogd", ["-n", "-f", conf, "-i", join(dir, "rsyslog.pid")], { reject: false, stdout: { file: join(dir, "rsyslog.err") }, stderr: { file: join(dir, "rsyslog.err") } });
  // Up when the port accepts connections.
  for (let i = 0; i < 100; i++) {
    const open = await new Promise<boolean>((r) => { const s = connect({ host: "127.0.0.1", port, rejectUnauthorized: false }); s.on("secureConnect", () => { s.destroy(); r(true); }); s.on("error", () => r(false)); });
    if (open) break;
    await new Promise((r) => setTimeout(r, 100));
  }
});

afterAll(async () => {
  if (rsyslog?.pid) {
    rsyslog.kill("SIGTERM");
    await rsyslog;
  }
  await inventory.db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("syslog over mutual TLS", () => {
  it("writes a deployed node's lines to its per-host file and refuses clients without a valid, unrevoked certificate from the site CA", async () => {
    const foreign = await loadOrCreateSiteCa(join(dir, "foreign"));
    const { issueNodeCertificate } = await import("../../lib/pki/issue-certificate.ts");
    // Same instance id, another CA: the name alone is not enough.
    const impostor = issueNodeCertificate(foreign, { instanceId: live.instanceId, hostname: "node-impostor" });
    await send("node-nocert", "refused-no-certificate");
    await send("node-impostor", "refused-foreign-ca", impostor);
    await send("node-revoked", "refused-revoked", revoked);
    await send("node-live", "accepted-line", live);
    const text = await waitForFile(join(logDir, "node-live.log"), "accepted-line");
    expect(text).toContain("accepted-line");
    // Give any refused line the same chance to arrive that the accepted one had.
    await send("node-live", "accepted-second", live);
    await waitForFile(join(logDir, "node-live.log"), "accepted-second");
    expect(readdirSync(logDir).sort()).toEqual(["node-live.log"]);
    const log = readFileSync(join(dir, "rsyslog.err"), "utf8");
    expect(log).toMatch(/not permitted|no certificate|not trusted|certificate/i);
  });
});
