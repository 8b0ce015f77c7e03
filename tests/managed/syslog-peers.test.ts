/**
 * After terminate, a node's certificate no longer works: syncSyslogPeers re-renders the real
 * rsyslog's configuration from the open instances and restarts it, and the terminated node's
 * certificate (still within its validity, still from the site CA) is refused from then on.
 */
import { X509Certificate } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { connect } from "node:tls";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa, type ResultPromise } from "execa";
import { afterAll, describe, expect, it } from "vitest";
import { Inventory } from "../../lib/inventory/inventory.ts";
import { syncSyslogPeers } from "../../lib/managed/syslog-peers.ts";
import { issueNodeCredentialWithin } from "../../lib/pki/node-credentials.ts";
import { loadOrCreateSiteCa } from "../../lib/pki/site-ca.ts";
import { openStore } from "../../lib/store/open-store.ts";
import { freeTcpPort } from "../helpers/free-port.ts";
import { addReadyMachines } from "../helpers/inventory.ts";
import { sendSyslogOverTls, waitForLine } from "../helpers/syslog-tls-client.ts";

const dir = mkdtempSync(join(tmpdir(), "orchestra-syslog-peers-"));
let rsyslog: ResultPromise | undefined;
afterAll(async () => {
  if (rsyslog?.pid) {
    rsyslog.kill("SIGTERM");
    await rsyslog;
  }
  rmSync(dir, { recursive: true, force: true });
});


describe("syslog peers follow the instances", () => {
  it("refuses a terminated node's certificate once rsyslog is restarted with the new permitted list", async () => {
    const inventory = new Inventory(await openStore(":memory:"));
    const data = join(dir, "data");
    const ca = await loadOrCreateSiteCa(data);
    await addReadyMachines(inventory, 2);
    const a = await inventory.allocate({}, "acct");
    const b = await inventory.allocate({}, "acct");
    const stays = await inventory.db.transaction((tx) => issueNodeCredentialWithin(tx, ca, { instanceId: a.instance.instanceId, hostname: "node-stays" }));
    const goes = await inventory.db.transaction((tx) => issueNodeCredentialWithin(tx, ca, { instanceId: b.instance.instanceId, hostname: "node-goes" }));
    const logDir = join(dir, "hosts");
    mkdirSync(logDir);
    mkdirSync(join(dir, "work"));
    const port = await freeTcpPort();
    const confFile = join(dir, "rsyslog.conf");
    let restarts = 0;
    const restart = async () => {
      restarts += 1;
      if (rsyslog?.pid) {
        rsyslog.kill("SIGTERM");
        await rsyslog;
      }
      rsyslog = execa("rsyslogd", ["-n", "-f", confFile, "-i", join(dir, "rsyslog.pid")], { reject: false });
      for (let i = 0; i < 100; i++) {
        const up = await new Promise<boolean>((r) => { const s = connect({ host: "127.0.0.1", port, rejectUnauthorized: false }); s.on("secureConnect", () => { s.destroy(); r(true); }); s.on("error", () => r(false)); });
        if (up) return;
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    const settings = { db: inventory.db, ca, dataDir: data, address: "127.0.0.1", listen: "127.0.0.1", port, confFile, logDir, workDirectory: join(dir, "work"), restart };
    expect(await syncSyslogPeers(settings)).toBe(true);
    // Nothing changed: no rewrite, no restart.
    expect(await syncSyslogPeers(settings)).toBe(false);
    expect(restarts).toBe(1);
    await sendSyslogOverTls(port, ca.certPem, "node-goes", "before-terminate", goes);
    await waitForLine(join(logDir, "node-goes.log"), "before-terminate");

    await inventory.release(b.machine.systemId);
    expect(await syncSyslogPeers(settings)).toBe(true);
    expect(restarts).toBe(2);
    await sendSyslogOverTls(port, ca.certPem, "node-goes", "after-terminate", goes);
    await sendSyslogOverTls(port, ca.certPem, "node-stays", "marker", stays);
    await waitForLine(join(logDir, "node-stays.log"), "marker");
    await sendSyslogOverTls(port, ca.certPem, "node-stays", "marker-2", stays);
    await waitForLine(join(logDir, "node-stays.log"), "marker-2");
    expect(readFileSync(join(logDir, "node-goes.log"), "utf8")).not.toContain("after-terminate");
    await inventory.db.close();
  });

  it("renews the server certificate in its last 30 days (serve's 10-second pass) and restarts rsyslog for it, not before", async () => {
    const inventory = new Inventory(await openStore(":memory:"));
    const data = join(dir, "renewal");
    const ca = await loadOrCreateSiteCa(data);
    let restarts = 0;
    let now = new Date("2026-01-01T00:00:00Z");
    const settings = { db: inventory.db, ca, dataDir: data, address: "192.0.2.1", port: 6514, confFile: join(data, "rsyslog.conf"), logDir: join(dir, "renewal-hosts"), restart: async () => void (restarts += 1), now: () => now };
    expect(await syncSyslogPeers(settings)).toBe(true);
    const first = readFileSync(join(data, "pki", "syslog.pem"), "utf8");
    now = new Date("2026-11-27T00:00:00Z"); // 330 days on: 35 left
    expect(await syncSyslogPeers(settings)).toBe(false);
    now = new Date("2026-12-07T00:00:00Z"); // 340 days on: 25 left
    expect(await syncSyslogPeers(settings)).toBe(true);
    expect(restarts).toBe(2);
    const renewed = readFileSync(join(data, "pki", "syslog.pem"), "utf8");
    expect(renewed).not.toBe(first);
    expect(new X509Certificate(renewed).verify(new X509Certificate(ca.certPem).publicKey)).toBe(true);
    expect(new Date(new X509Certificate(renewed).validTo).getTime()).toBeGreaterThan(new Date("2027-12-01T00:00:00Z").getTime());
    await inventory.db.close();
  });
});
