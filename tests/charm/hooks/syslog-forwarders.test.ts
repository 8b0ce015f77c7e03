/**
 * The syslog endpoint against what real counterparts send: rsyslog-forwarder-ha reads only
 * our private-address and sends plain syslog to 514; TLS clients say protocol=tcp+tls.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:tls";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { X509Certificate } from "node:crypto";
import { issueNodeCertificate, issueServerCertificate } from "../../../lib/pki/issue-certificate.ts";
import { createSiteCa, parseSiteCa } from "../../../lib/pki/site-ca.ts";
import { findSecret, getRelation, relation, type State } from "../../../lib/testing/index.ts";
import { charmHarness, configured, freePort, type CharmHarness } from "../charm-harness.ts";

let h: CharmHarness;
beforeEach(() => { h = charmHarness(); });
afterEach(() => h.cleanup());

const CONF = "/etc/rsyslog.d/60-orchestra.conf";
// What rsyslog-forwarder-ha's unit databag holds: only what Juju fills in.
const forwarder = () => relation({ endpoint: "syslog", remoteApp: "rsyslog-forwarder-ha", remoteUnitsData: { 0: { "private-address": "198.51.100.7", "ingress-address": "198.51.100.7", "egress-subnets": "198.51.100.7/32" } } });
const tlsClient = () => relation({ endpoint: "syslog", remoteApp: "my-tls-app", remoteUnitsData: { 0: { "private-address": "198.51.100.8", protocol: "tcp+tls" } } });

describe("plain syslog on 514", () => {
  it("listens while a plain forwarder is related and the option is on, in a config real rsyslogd accepts; closes when it goes", async () => {
    const rel = forwarder();
    const s: State = configured({ leader: true, config: { components: "rsyslog", "syslog-plain-listener": true }, relations: [rel] });
    const joined = await h.ctx.run(h.ctx.on.relationChanged(rel), s);
    const conf = h.read(CONF);
    expect(conf).toContain('input(type="imudp" port="514" ruleset="orchestra-remote")');
    expect(conf).toContain('input(type="imtcp" port="514" ruleset="orchestra-remote")');
    expect(joined.state.openedPorts).toEqual(expect.arrayContaining(["514/tcp", "514/udp", "6514/tcp"]));

    // The real rsyslogd on the charm's file, its ports moved onto free loopback ones: a plain
    // tcp and a plain udp line both land. (`rsyslogd -N1` passes a file whose plain tcp
    // listener then fails to open, as it did while the TLS settings sat on the imtcp module.)
    const [tlsPort, plainPort] = [await freePort(), await freePort()];
    const logDir = join(h.root, "hosts");
    mkdirSync(logDir);
    mkdirSync(join(h.root, "work"));
    const rooted = `global(workDirectory="${h.root}/work")\n${conf.replaceAll('"/var/log/orchestra/hosts', `"${logDir}`).replaceAll('"/var/', `"${h.root}/var/`).replace('port="6514"', `address="127.0.0.1" port="${tlsPort}"`).replaceAll('port="514"', `address="127.0.0.1" port="${plainPort}"`)}`;
    writeFileSync(join(h.root, "rsyslog-check.conf"), rooted);
    const check = await execa("rsyslogd", ["-N1", "-f", join(h.root, "rsyslog-check.conf")], { reject: false });
    expect(check.exitCode, `${check.stdout}\n${check.stderr}`).toBe(0);
    const rsyslog = execa("rsyslogd", ["-n", "-f", join(h.root, "rsyslog-check.conf"), "-i", join(h.root, "rsyslog.pid")], { reject: false, all: true });
    try {
      const landed = async (tag: string, transport: "-T" | "-d") => {
        for (let i = 0; i < 100; i++) {
          await execa("logger", ["-n", "127.0.0.1", "-P", String(plainPort), transport, "--rfc3164", "-t", tag, `${tag}-line`], { reject: false });
          const files = existsSync(logDir) ? readdirSync(logDir) : [];
          if (files.some((f) => readFileSync(join(logDir, f), "utf8").includes(`${tag}-line`))) return true;
          await new Promise((r) => setTimeout(r, 100));
        }
        return false;
      };
      expect(await landed("plain-udp", "-d"), "a plain udp line lands").toBe(true);
      expect(await landed("plain-tcp", "-T"), "a plain tcp line lands").toBe(true);
    } finally {
      rsyslog.kill("SIGTERM");
      const out = await rsyslog;
      expect(String(out.all ?? "")).not.toContain("Could not create tcp listener");
    }

    const broken = await h.ctx.run(h.ctx.on.relationBroken(rel), joined.state);
    expect(h.read(CONF)).not.toContain('port="514"');
    expect(broken.state.openedPorts).not.toContain("514/udp");
  });

  it("stays off by default, and the status names the forwarder that needs it", async () => {
    const rel = forwarder();
    const out = await h.ctx.run(h.ctx.on.relationChanged(rel), configured({ leader: true, config: { components: "rsyslog" }, relations: [rel] }));
    expect(h.read(CONF)).not.toContain('port="514"');
    expect(out.state.unitStatus).toEqual({ status: "active", message: "rsyslog-forwarder-ha forward plain syslog: set syslog-plain-listener=true to accept it on 514" });
  });

  it("a TLS client alone opens nothing plain", async () => {
    const rel = tlsClient();
    await h.ctx.run(h.ctx.on.relationChanged(rel), configured({ leader: true, config: { components: "rsyslog", "syslog-plain-listener": true }, relations: [rel] }));
    expect(h.read(CONF)).not.toContain('port="514"');
  });
});

describe("TLS syslog on 6514", () => {
  /** Send one line over TLS, with or without a client certificate; resolves when the connection is over. */
  const send = (port: number, caPem: string, host: string, text: string, credential?: { certPem: string; keyPem: string }) => new Promise<void>((resolve) => {
    const socket = connect({ host: "127.0.0.1", port, ca: caPem, checkServerIdentity: () => undefined, ...(credential ? { cert: credential.certPem, key: credential.keyPem } : {}) }, () => {
      socket.write(`<14>1 2026-01-01T00:00:00Z ${host} test - - - ${text}\n`, () => setTimeout(() => socket.end(), 200));
    });
    socket.on("error", () => resolve());
    socket.on("close", () => resolve());
  });

  it("requires a certificate from the site CA naming an open instance: real rsyslogd with the charm's config refuses no certificate, another CA's, and a terminated node's", async () => {
    const LIVE = "i-0123456789abcdef0";
    const machine = (instanceId: string | null) => writeFileSync(join(h.stateDir, "machines.json"), JSON.stringify([{ systemId: "m-1", hostname: "node-1", status: instanceId ? "deployed" : "ready", instance: instanceId ? { instanceId, account: "a" } : null }]));
    machine(LIVE);
    const first = await h.ctx.run(h.ctx.on.configChanged(), configured({ leader: true, config: { components: "rsyslog" } }));
    const port = await freePort();
    const logDir = join(h.root, "hosts");
    mkdirSync(logDir);
    mkdirSync(join(h.root, "work"));
    let rsyslog: ReturnType<typeof execa> | undefined;
    // The charm's file as written, moved under the test root and onto a free loopback port; (re)started as the charm's restart would.
    const restart = async () => {
      if (rsyslog) {
        rsyslog.kill("SIGTERM");
        await rsyslog;
      }
      const conf = `global(workDirectory="${h.root}/work")\n${h.read(CONF).replaceAll('"/var/log/orchestra/hosts', `"${logDir}`).replaceAll('"/var/', `"${h.root}/var/`).replace('port="6514"', `address="127.0.0.1" port="${port}"`)}`;
      writeFileSync(join(h.root, "rsyslog-run.conf"), conf);
      rsyslog = execa("rsyslogd", ["-n", "-f", join(h.root, "rsyslog-run.conf"), "-i", join(h.root, "rsyslog.pid")], { reject: false, all: true });
      for (let i = 0; i < 100; i++) {
        const up = await new Promise<boolean>((r) => { const s = connect({ host: "127.0.0.1", port, rejectUnauthorized: false }); s.on("secureConnect", () => { s.destroy(); r(true); }); s.on("error", () => r(false)); });
        if (up) return;
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    const waitFor = async (file: string, needle: string) => {
      for (let i = 0; i < 100; i++) {
        if (existsSync(join(logDir, file)) && readFileSync(join(logDir, file), "utf8").includes(needle)) return;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`${needle} never arrived`);
    };
    try {
      expect(h.read(CONF)).toContain(`StreamDriver.AuthMode="x509/name" PermittedPeer=["${LIVE}"]`);
      await restart();
      const ca = parseSiteCa(h.read("/var/lib/orchestra/pki/ca.pem"), h.read("/var/lib/orchestra/pki/ca.key"));
      const node = issueNodeCertificate(ca, { instanceId: LIVE, hostname: "node-live" });
      const ended = issueNodeCertificate(ca, { instanceId: "i-0123456789abcdef1", hostname: "node-ended" });
      const foreign = issueNodeCertificate(createSiteCa("Another CA"), { instanceId: LIVE, hostname: "node-foreign" });
      await send(port, ca.certPem, "node-nocert", "refused-no-certificate");
      await send(port, ca.certPem, "node-foreign", "refused-foreign-ca", foreign);
      await send(port, ca.certPem, "node-ended", "refused-not-open", ended);
      await send(port, ca.certPem, "node-live", "accepted", node);
      // The accepted line arrives; the refused ones had the same chance, so a second accepted line closes the window.
      await waitFor("node-live.log", "accepted");
      await send(port, ca.certPem, "node-live", "accepted-second", node);
      await waitFor("node-live.log", "accepted-second");
      expect(readdirSync(logDir)).toEqual(["node-live.log"]);

      // Terminated: the next hook (update-status) drops it from the list and restarts rsyslog.
      machine(null);
      h.clearCommands();
      await h.ctx.run(h.ctx.on.updateStatus(), first.state);
      expect(h.read(CONF)).toContain('PermittedPeer=["nobody.orchestra.invalid"]');
      expect(h.commands()).toContainEqual(["systemctl", "restart", "rsyslog"]);
      await restart();
      const other = issueNodeCertificate(ca, { instanceId: "i-0123456789abcdef2", hostname: "node-other" });
      machine("i-0123456789abcdef2");
      await h.ctx.run(h.ctx.on.updateStatus(), first.state);
      await restart();
      await send(port, ca.certPem, "node-live", "refused-after-terminate", node);
      await send(port, ca.certPem, "node-other", "marker", other);
      await waitFor("node-other.log", "marker");
      expect(readFileSync(join(logDir, "node-live.log"), "utf8")).not.toContain("refused-after-terminate");
      // When the CLI cannot say, the list rsyslog has stays.
      h.flag("orchestra-fail");
      await h.ctx.runUnchecked(h.ctx.on.updateStatus(), first.state);
      expect(h.read(CONF)).toContain('PermittedPeer=["i-0123456789abcdef2"]');
    } finally {
      if (rsyslog) {
        rsyslog.kill("SIGTERM");
        await rsyslog;
      }
    }
  });

  it("renews the syslog server certificate before it expires on a routine hook (update-status), and restarts rsyslog for it", async () => {
    const first = await h.ctx.run(h.ctx.on.configChanged(), configured({ leader: true, config: { components: "rsyslog" } }));
    const ca = parseSiteCa(h.read("/var/lib/orchestra/pki/ca.pem"), h.read("/var/lib/orchestra/pki/ca.key"));
    const before = h.read("/var/lib/orchestra/tls/syslog.pem");
    const address = new X509Certificate(before).subjectAltName!.replace(/^IP Address:/, "");
    // The certificate on disk was issued 340 days ago: 25 days left.
    const old = issueServerCertificate(ca, [address], new Date(Date.now() - 340 * 24 * 3600 * 1000));
    writeFileSync(join(h.root, "/var/lib/orchestra/tls/syslog.pem"), old.certPem);
    writeFileSync(join(h.root, "/var/lib/orchestra/tls/syslog.key"), old.keyPem);
    h.clearCommands();
    await h.ctx.run(h.ctx.on.updateStatus(), first.state);
    const renewed = new X509Certificate(h.read("/var/lib/orchestra/tls/syslog.pem"));
    expect(renewed.serialNumber).not.toBe(new X509Certificate(old.certPem).serialNumber);
    expect(new Date(renewed.validTo).getTime()).toBeGreaterThan(Date.now() + 360 * 24 * 3600 * 1000);
    expect(h.commands()).toContainEqual(["systemctl", "restart", "rsyslog"]);
  });
});

describe("TLS clients get a client certificate from the site CA", () => {
  it("the leader issues one per relation as a secret granted to it, signed by the CA it publishes, and removes it when the relation goes", async () => {
    const rel = tlsClient();
    const joined = await h.ctx.run(h.ctx.on.relationChanged(rel), configured({ leader: true, config: { components: "rsyslog" }, relations: [rel] }));
    const bags = getRelation(joined.state, rel);
    const secretId = bags.localAppData["client-cert-secret-id"];
    expect(secretId, JSON.stringify(bags.localAppData)).toMatch(/^secret:/);
    const issued = findSecret(joined.state, secretId!)!;
    expect(issued.grants[String(rel.id)]).toBeDefined();
    expect(issued.contents["ca-cert"]).toBe(bags.localUnitData["ca-cert"]);
    // The certificate chains to the published CA and is for client authentication.
    const dir = mkdtempSync(join(tmpdir(), "syslog-client-cert-"));
    try {
      writeFileSync(join(dir, "ca.pem"), issued.contents["ca-cert"]!);
      writeFileSync(join(dir, "cert.pem"), issued.contents.cert!);
      const verify = await execa("openssl", ["verify", "-purpose", "sslclient", "-CAfile", join(dir, "ca.pem"), join(dir, "cert.pem")], { reject: false });
      expect(verify.exitCode, `${verify.stdout}${verify.stderr}`).toBe(0);
      expect((await execa("openssl", ["x509", "-noout", "-subject", "-in", join(dir, "cert.pem")])).stdout).toContain("my-tls-app");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    // A second hook issues no second certificate.
    const again = await h.ctx.run(h.ctx.on.relationChanged(rel), joined.state);
    expect(again.state.secrets.filter((s) => s.label?.startsWith("syslog-client-"))).toHaveLength(1);
    const broken = await h.ctx.run(h.ctx.on.relationBroken(rel), again.state);
    expect(broken.state.secrets.filter((s) => s.label?.startsWith("syslog-client-"))).toEqual([]);
  });

  it("a plain forwarder gets none", async () => {
    const rel = forwarder();
    const out = await h.ctx.run(h.ctx.on.relationChanged(rel), configured({ leader: true, config: { components: "rsyslog", "syslog-plain-listener": true }, relations: [rel] }));
    expect(getRelation(out.state, rel).localAppData["client-cert-secret-id"]).toBeUndefined();
  });
});

describe("malformed syslog relation data", () => {
  it("a protocol that is none of tcp+tls, tcp, udp blocks with the reason and changes no file", async () => {
    const rel = forwarder();
    const s = (await h.ctx.run(h.ctx.on.relationChanged(rel), configured({ leader: true, config: { components: "rsyslog", "syslog-plain-listener": true }, relations: [rel] }))).state;
    const before = h.read(CONF);
    expect(before).toContain('port="514"');
    const bad = { ...rel, remoteUnitsData: { 0: { ...rel.remoteUnitsData[0], protocol: "tcp+tls\naction(type=\"omfile\" file=\"/etc/passwd\")" } } };
    const out = await h.ctx.run(h.ctx.on.relationChanged(bad), { ...s, relations: [bad] });
    expect(out.state.unitStatus.status).toBe("blocked");
    expect(out.state.unitStatus.message).toContain('syslog relation: rsyslog-forwarder-ha/0 published protocol "tcp+tls');
    expect(h.read(CONF)).toBe(before);
  });
});

describe("the syslog server certificate", () => {
  it("names the address the syslog relation hands out as well as the provisioning address", async () => {
    const rel = tlsClient();
    const syslogBinding = { "bind-addresses": [{ "interface-name": "eth0", addresses: [{ value: "198.51.100.10", cidr: "198.51.100.0/24" }] }], "egress-subnets": ["198.51.100.10/32"], "ingress-addresses": ["198.51.100.10"] };
    const out = await h.ctx.run(h.ctx.on.relationChanged(rel), configured({ leader: true, config: { components: "rsyslog" }, relations: [rel], networks: { syslog: syslogBinding } }));
    expect(getRelation(out.state, rel).localUnitData.host).toBe("198.51.100.10");
    const text = (await execa("openssl", ["x509", "-noout", "-ext", "subjectAltName"], { input: h.read("/var/lib/orchestra/tls/syslog.pem") })).stdout;
    expect(text).toContain("IP Address:198.51.100.10");
    expect(text).toContain("IP Address:192.0.2.0");
  });
});
