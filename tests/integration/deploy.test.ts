/**
 * `juju deploy orchestra` on a real systemd machine: a fresh unit booted from the cached
 * Debian root, the packed charm run through `dispatch` for install → leader-elected →
 * config-changed → start with the default components, and every component proven from
 * outside the unit by a client in its own namespace (DHCP, TFTP and the iPXE script on the
 * provisioning network; WebDAV, images, syslog over TLS, the apt proxy, puppetserver and the
 * EC2 API on the unit network).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findSecret, getRelation, relation, state, type Output, type State } from "../../lib/testing/index.ts";
import type { CharmUnit, NetworkMember, UnitHarness } from "../../lib/testing/units/index.ts";
import { packedCharm, retryFor, secondsSince, startHarness } from "./unit-fixture.ts";

const COMPONENTS = ["dnsmasq", "squid", "rsyslog", "puppetserver", "nginx"];
const CONFIG = {
  "dhcp-mode": "full",
  "provisioning-interface": "eth1",
  "provisioning-subnet": "192.0.2.0/24",
  "dhcp-range": "192.0.2.100,192.0.2.150",
};

let harness: UnitHarness;
let unit: CharmUnit;
let charm: { file: string; remove: () => void };
let bootClient: NetworkMember;
let client: NetworkMember;
let scratch: string;
const hooks: Array<{ hook: string; seconds: number; output: Output }> = [];
let installed: State;

/** The State once the install hooks ran; tests after a failed install say so. */
function unitState(): State {
  const failed = hooks.find((h) => h.output.exitCode !== 0);
  if (failed) throw new Error(`hook ${failed.hook} exited ${failed.output.exitCode}: ${failed.output.stderr.slice(-1500)}`);
  return installed;
}

/** Runs `argv` in a client namespace; stdout, or throws with everything it printed. */
async function inClient(member: NetworkMember, argv: readonly string[], env?: Record<string, string>): Promise<string> {
  const result = await harness.inClient(member, argv, { env });
  if (result.exitCode !== 0) throw new Error(`${argv.join(" ")} exited ${result.exitCode}: ${String(result.all)}`);
  return String(result.stdout);
}

beforeAll(async () => {
  let started = Date.now();
  [charm, harness] = await Promise.all([packedCharm(), startHarness()]);
  console.log(`units: root ${harness.root.buildSeconds} s to build (0: cached), repository ${harness.repository.buildSeconds} s, ${harness.repository.debCount} debs, ${(harness.repository.bytes / 1e6).toFixed(0)} MB; harness ready in ${secondsSince(started)} s`);
  started = Date.now();
  unit = await harness.deployUnit({ charmFile: charm.file, index: 0 });
  console.log(`units: unit booted in ${secondsSince(started)} s`);
  bootClient = await harness.addClient("boot", { provisioning: true });
  client = await harness.addClient("c1", { unitAddress: "198.51.100.100" });
  scratch = mkdtempSync(join(tmpdir(), "orchestra-deploy-test-"));

  const ctx = unit.context;
  let s = state({ leader: true, config: CONFIG, networks: unit.networks() });
  const deployStarted = Date.now();
  for (const event of [ctx.on.install(), ctx.on.leaderElected(), ctx.on.configChanged(), ctx.on.start()]) {
    const hookStarted = Date.now();
    const output = await ctx.runUnchecked(event, s);
    hooks.push({ hook: event.name, seconds: secondsSince(hookStarted), output });
    s = output.state;
    if (output.exitCode !== 0) break;
  }
  installed = s;
  console.log(`units: install → start took ${secondsSince(deployStarted)} s (${hooks.map((h) => `${h.hook} ${h.seconds} s, exit ${h.output.exitCode}`).join("; ")}); status ${JSON.stringify(s.unitStatus)}`);
}, 40 * 60_000);

afterAll(async () => {
  await harness?.stop();
  charm?.remove();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
}, 5 * 60_000);

describe("a fresh unit with the default components", () => {
  it("runs install, leader-elected, config-changed and start through dispatch and goes active", () => {
    expect(hooks.map((h) => [h.hook, h.output.exitCode])).toEqual([["install", 0], ["leader-elected", 0], ["config-changed", 0], ["start", 0]]);
    expect(unitState().unitStatus.status).toBe("active");
  });

  it("has every component active under systemd and no failed unit", async () => {
    unitState();
    for (const service of [...COMPONENTS, "orchestra"]) {
      const result = await unit.machine.exec(["systemctl", "is-active", service]);
      expect({ service, state: result.stdout.trim() }).toEqual({ service, state: "active" });
    }
    // puppetserver's JVM may still be coming up; --failed lists only what gave up.
    const failed = await unit.machine.sh(["systemctl", "--failed", "--no-legend", "--plain"]);
    expect(failed.trim()).toBe("");
  });

  it("gives a machine on the provisioning network an address, iPXE by TFTP and its script by HTTP", async () => {
    unitState();
    const leaseFile = join(scratch, "lease");
    const script = join(scratch, "udhcpc.sh");
    writeFileSync(script, `#!/bin/sh\nif [ "$1" = bound ]; then\n  ip addr add "$ip/$mask" dev "$interface"\n  printf 'ip=%s\\nsiaddr=%s\\nserverid=%s\\nboot_file=%s\\n' "$ip" "$siaddr" "$serverid" "$boot_file" > ${leaseFile}\nfi\n`, { mode: 0o755 });
    await retryFor(60_000, () => inClient(bootClient, ["busybox", "udhcpc", "-f", "-q", "-n", "-t", "5", "-T", "2", "-i", "eth1", "-s", script]));
    const lease = Object.fromEntries(readFileSync(leaseFile, "utf8").trim().split("\n").map((l) => l.split("=", 2) as [string, string]));
    expect(lease.serverid).toBe(unit.provisioningAddress);
    expect(Number(lease.ip!.split(".")[3])).toBeGreaterThanOrEqual(100);
    expect(lease.boot_file).toBe("undionly.kpxe");

    const loader = join(scratch, "undionly.kpxe");
    await inClient(bootClient, ["busybox", "tftp", "-g", "-r", "undionly.kpxe", "-l", loader, unit.provisioningAddress]);
    const shipped = await unit.machine.sh(["sha256sum", "/usr/lib/ipxe/undionly.kpxe"]);
    const fetched = await inClient(bootClient, ["sha256sum", loader]);
    expect(fetched.split(" ")[0]).toBe(shipped.split(" ")[0]);

    const ipxeScript = await inClient(bootClient, ["curl", "-sSf", `http://${unit.provisioningAddress}:5248/boot.ipxe`]);
    expect(ipxeScript.startsWith("#!ipxe")).toBe(true);
  });

  it("nginx serves an image file and a WebDAV round trip that requires the relation's credentials", async () => {
    const s = unitState();
    await unit.machine.sh(["sh", "-c", "printf 'image-bytes' > /var/lib/orchestra/images/test.img"]);
    expect(await inClient(client, ["curl", "-sSf", `http://${unit.address}/images/test.img`])).toBe("image-bytes");

    const anonymous = await inClient(client, ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "PUT", "--data-binary", "anon", `http://${unit.address}/webdav/anon.txt`]);
    // Refused: 401 once credentials exist, 403 while none were made yet.
    expect(["401", "403"]).toContain(anonymous);

    const rel = relation({ endpoint: "webdav-storage", remoteApp: "juju-client", remoteUnitsData: { 0: { "private-address": "198.51.100.100", "ingress-address": "198.51.100.100" } } });
    const joined = await unit.context.run(unit.context.on.relationJoined(rel), { ...s, relations: [...s.relations, rel] });
    const bags = getRelation(joined.state, rel);
    const data = { ...bags.localUnitData, ...bags.localAppData };
    const secretId = Object.values(data).find((v) => v.startsWith("secret:"));
    expect(secretId, `webdav-storage relation data carries a credential secret: ${JSON.stringify(data)}`).toBeDefined();
    const secret = findSecret(joined.state, secretId!)!;
    const auth = `${secret.contents.username}:${secret.contents.password}`;
    const url = data["storage-url"]!;
    expect(await inClient(client, ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-u", auth, "-X", "PUT", "--data-binary", "provider-state", `${url}provider-state`])).toMatch(/^20[14]$/);
    expect(await inClient(client, ["curl", "-sSf", "-u", auth, `${url}provider-state`])).toBe("provider-state");
    expect(await inClient(client, ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", `${url}provider-state`])).toBe("401");
    expect(await inClient(client, ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-u", auth, "-X", "DELETE", `${url}provider-state`])).toBe("204");
    expect(await inClient(client, ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-u", auth, `${url}provider-state`])).toBe("404");
  });

  it("rsyslog writes a TLS client's line into its per-host file as the unprivileged syslog user", async () => {
    const s = unitState();
    const line = `deploy-test-${Date.now()}`;
    // rsyslog takes only clients with a site-CA certificate naming an open instance or a
    // related TLS client application: this client comes through the syslog relation for one.
    const rel = relation({ endpoint: "syslog", remoteApp: "tls-client", remoteUnitsData: { 0: { "private-address": "198.51.100.100", "ingress-address": "198.51.100.100", protocol: "tcp+tls" } } });
    const joined = await unit.context.run(unit.context.on.relationJoined(rel), { ...s, relations: [...s.relations, rel] });
    await unit.context.run(unit.context.on.relationChanged(rel), joined.state);
    const secretId = getRelation(joined.state, rel).localAppData["client-cert-secret-id"];
    expect(secretId, "the syslog relation hands the TLS client a certificate").toBeDefined();
    const issued = findSecret(joined.state, secretId!)!;
    writeFileSync(join(scratch, "ca.pem"), issued.contents["ca-cert"]!);
    writeFileSync(join(scratch, "client.pem"), issued.contents.cert!);
    writeFileSync(join(scratch, "client.key"), issued.contents.key!);
    // Verified against the charm's CA, and the line sent only once the handshake succeeded.
    const handshake = await retryFor(60_000, () => inClient(client, ["sh", "-c", `(sleep 2; printf '<13>Dec  1 12:00:00 tls-client-1 deploy: ${line}\\n'; sleep 2) | timeout 10 openssl s_client -connect ${unit.address}:6514 -CAfile ${join(scratch, "ca.pem")} -cert ${join(scratch, "client.pem")} -key ${join(scratch, "client.key")} -verify_return_error 2>&1`]));
    const file = await retryFor(30_000, async () => {
      const found = (await unit.machine.exec(["sh", "-c", "grep -rl -- \"$1\" /var/log/ | grep tls-client-1", "sh", line])).stdout.trim();
      if (!found) {
        const journal = await unit.machine.exec(["journalctl", "-u", "rsyslog", "--no-pager", "-n", "20"]);
        throw new Error(`no per-host file with the line; openssl said:\n${handshake.slice(-600)}\nrsyslog:\n${journal.stdout}`);
      }
      return found.split("\n")[0]!;
    });
    expect(await unit.machine.sh(["stat", "-c", "%U", file])).toBe("syslog");
    expect(await unit.machine.sh(["ps", "-o", "user=", "-C", "rsyslogd"])).toMatch(/^syslog$/m);
  }, 3 * 60_000);

  it("squid fetches a package from the repository for a client that came through the apt-proxy relation", async () => {
    const s = unitState();
    const rel = relation({ endpoint: "apt-proxy", remoteApp: "ubuntu", remoteUnitsData: { 0: { "private-address": "198.51.100.100", "ingress-address": "198.51.100.100", "egress-subnets": "198.51.100.100/32" } } });
    const joined = await unit.context.run(unit.context.on.relationJoined(rel), { ...s, relations: [...s.relations, rel] });
    await unit.context.run(unit.context.on.relationChanged(rel), joined.state);
    const deb = harness.repository.path;
    const name = (await inClient(client, ["sh", "-c", `ls ${deb} | grep '^squid_' | head -1`])).trim();
    const code = await retryFor(30_000, async () => {
      const got = await inClient(client, ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-x", `http://${unit.address}:8000`, `http://198.51.100.1:8080/${name}`]);
      if (got !== "200") throw new Error(`squid answered ${got}`);
      return got;
    });
    expect(code).toBe("200");
  });

  it("puppetserver answers on 8140", async () => {
    unitState();
    // The JVM takes minutes to start on a busy 2-core machine.
    const status = await retryFor(8 * 60_000, () => inClient(client, ["curl", "-sSfk", "--max-time", "20", `https://${unit.address}:8140/status/v1/simple`]), 3000);
    expect(status).toBe("running");
  }, 10 * 60_000);

  it("the EC2 API answers the AWS CLI's signed call with a credential from the action", async () => {
    const s = unitState();
    const created = await unit.context.run(unit.context.on.action("create-credentials", { account: "deploy" }), s);
    expect(created.actionFailure).toBeUndefined();
    const env = {
      AWS_ACCESS_KEY_ID: String(created.actionResults["access-key-id"]),
      AWS_SECRET_ACCESS_KEY: String(created.actionResults["secret-access-key"]),
      AWS_EC2_METADATA_DISABLED: "true",
      AWS_CONFIG_FILE: "/dev/null",
    };
    const out = await retryFor(60_000, () => inClient(client, ["aws", "ec2", "describe-regions", "--endpoint-url", `http://${unit.address}:8773`, "--region", "orchestra", "--output", "json"], env));
    expect(JSON.parse(out).Regions.map((r: { RegionName: string }) => r.RegionName)).toContain("orchestra");
    env.AWS_SECRET_ACCESS_KEY = "wrong";
    const refused = await harness.inClient(client, ["aws", "ec2", "describe-regions", "--endpoint-url", `http://${unit.address}:8773`, "--region", "orchestra"], { env });
    expect(refused.exitCode).not.toBe(0);
  });

  it("update-status reports active with the machine counts", async () => {
    const s = unitState();
    const enlisted = await unit.context.run(unit.context.on.action("enlist-machine", { mac: "52:54:00:aa:bb:01", "power-type": "manual", hostname: "node-1" }), s);
    expect(enlisted.actionFailure).toBeUndefined();
    const started = Date.now();
    const out = await unit.context.run(unit.context.on.updateStatus(), s);
    console.log(`units: update-status took ${secondsSince(started)} s`);
    expect(out.state.unitStatus).toEqual({ status: "active", message: "1 machine: 1 new" });
  });

  it("a related machine's apt goes through the squid the apt-proxy relation names", async () => {
    const s = unitState();
    const { machine, address } = await harness.addMachine(1, "ubuntu-0");
    const rel = relation({ endpoint: "apt-proxy", remoteApp: "ubuntu", remoteUnitsData: { 0: { "private-address": address, "ingress-address": address, "egress-subnets": `${address}/32` } } });
    const joined = await unit.context.run(unit.context.on.relationJoined(rel), { ...s, relations: [...s.relations, rel] });
    const changed = await unit.context.run(unit.context.on.relationChanged(rel), joined.state);
    const data = getRelation(changed.state, rel);
    const url = data.localAppData.url ?? data.localUnitData.url;
    expect(url).toBe(`http://${unit.address}:8000`);
    // What a related charm does with it: apt's proxy setting (the repository stays its source).
    await machine.writeFile("/etc/apt/apt.conf.d/01orchestra-proxy", `Acquire::http::Proxy "${url}";\n`);
    await machine.sh(["apt-get", "update"], { timeoutMs: 300_000 });
    await machine.sh(["apt-get", "install", "--yes", "--download-only", "--no-install-recommends", "dnsmasq-base"], { timeoutMs: 300_000 });
    const log = await unit.machine.sh(["sh", "-c", "cat /var/log/squid/access.log"]);
    expect(log).toMatch(new RegExp(`${address.replaceAll(".", "\\.")} .*dnsmasq-base_.*\\.deb`));
  }, 10 * 60_000);

  it("config-changed with no change restarts nothing; a new DHCP range restarts only dnsmasq", async () => {
    const s = unitState();
    const services = [...COMPONENTS, "orchestra"];
    const startTimes = async () => Object.fromEntries(await Promise.all(services.map(async (service) =>
      [service, (await unit.machine.sh(["systemctl", "show", "--property=ActiveEnterTimestampMonotonic,MainPID", service])).trim()] as const)));
    const before = await startTimes();
    const again = await unit.context.run(unit.context.on.configChanged(), s);
    expect(again.state.unitStatus.status).toBe("active");
    expect(await startTimes()).toEqual(before);
    const ranged = await unit.context.run(unit.context.on.configChanged(), { ...s, config: { ...s.config, "dhcp-range": "192.0.2.160,192.0.2.170" } });
    expect(ranged.state.unitStatus.status).toBe("active");
    const after = await startTimes();
    expect(Object.keys(after).filter((service) => after[service] !== before[service])).toEqual(["dnsmasq"]);
    expect(await unit.machine.readFile("/etc/dnsmasq.d/orchestra.conf")).toContain("dhcp-range=192.0.2.160,192.0.2.170");
  }, 10 * 60_000);

  it("config-changed with an invalid value blocks with the reason and the services keep answering", async () => {
    const s = unitState();
    const bad = await unit.context.run(unit.context.on.configChanged(), { ...s, config: { ...s.config, "dhcp-range": "10.0.0.1,10.0.0.9" } });
    expect(bad.state.unitStatus.status).toBe("blocked");
    expect(bad.state.unitStatus.message).toContain("dhcp-range");
    expect(await unit.machine.readFile("/etc/dnsmasq.d/orchestra.conf")).not.toContain("10.0.0.1");
    expect(await inClient(client, ["curl", "-sSf", `http://${unit.address}/images/test.img`])).toBe("image-bytes");
    expect((await unit.machine.exec(["systemctl", "is-active", "dnsmasq"])).stdout.trim()).toBe("active");
  });

  it("the stop hook stops and disables everything the charm started and leaves no listener", async () => {
    const s = unitState();
    const started = Date.now();
    const stopped = await unit.context.run(unit.context.on.stop(), s);
    console.log(`units: stop took ${secondsSince(started)} s`);
    expect(stopped.exitCode).toBe(0);
    // rsyslog came with the machine (as on Ubuntu): it keeps running on its own config, without
    // the charm's listener; everything the charm installed is stopped and disabled.
    for (const service of [...COMPONENTS.filter((c) => c !== "rsyslog"), "orchestra"]) {
      const active = (await unit.machine.exec(["systemctl", "is-active", service])).stdout.trim();
      const enabled = (await unit.machine.exec(["systemctl", "is-enabled", service])).stdout.trim();
      // "disabled", or nothing at all once the charm removed its own unit file.
      expect({ service, active, enabled: enabled === "" ? "disabled" : enabled }).toEqual({ service, active: "inactive", enabled: "disabled" });
    }
    expect((await unit.machine.exec(["test", "-e", "/etc/systemd/system/orchestra.service"])).exitCode).not.toBe(0);
    // A moment later too: journald's syslog.socket must not have started rsyslog again.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const listeners = await unit.machine.sh(["ss", "-Hltnu"]);
    for (const port of [67, 69, 80, 5248, 6514, 8000, 8140, 8773]) expect(listeners).not.toMatch(new RegExp(`:${port}\\s`));
  }, 5 * 60_000);
});
