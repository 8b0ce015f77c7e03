/**
 * Relations between machines, against what the real counterparts do: one orchestra unit
 * (rsyslog and nginx, beside the orchestra service) and one counterpart machine that plays
 * each related application the way its charm does it, with the real programs:
 *  - syslog: its rsyslog forwards over TLS with the client certificate from the relation's
 *    secret (as a TLS syslog client), and plain tcp to orchestra's private-address:514 (as
 *    rsyslog-forwarder-ha does), which is accepted only with `syslog-plain-listener` and only
 *    while such a forwarder is related;
 *  - ec2-api: the AWS CLI in its namespace runs describe-instances with the credential from the
 *    relation's secret, refused once the relation is gone;
 *  - webdav-storage: curl stores and reads a file with the credentials it was granted;
 *  - metrics-endpoint: Debian's Prometheus scrapes orchestra with exactly the scrape job from
 *    the relation data (prometheus-scrape-config.ts renders it as the Prometheus charm does).
 * And a related application sending malformed data blocks the unit and changes no file.
 * (apt-proxy, the counterpart's apt through squid, is in deploy.test.ts.)
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findSecret, getRelation, relation, state, type CharmEvent, type Relation, type State } from "../../lib/testing/index.ts";
import type { CharmUnit, UnitHarness, UnitMachine } from "../../lib/testing/units/index.ts";
import { renderPrometheusConfig } from "./prometheus-scrape-config.ts";
import { packedCharm, retryFor, secondsSince, startHarness } from "./unit-fixture.ts";

const CONFIG = { components: "rsyslog nginx", "dhcp-mode": "off" };
const COUNTERPART_PACKAGES = ["prometheus", "curl", "rsyslog-gnutls"];
const UNIT_ENV = { PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", LANG: "C.UTF-8", DEBIAN_FRONTEND: "noninteractive" };
/** The files the charm writes for these components; malformed relation data must change none. */
const CHARM_FILES = ["/etc/rsyslog.d", "/etc/nginx/conf.d", "/etc/nginx/orchestra-webdav.htpasswd", "/etc/orchestra", "/etc/systemd/system/orchestra.service", "/var/lib/orchestra/tls", "/var/lib/orchestra/pki"];

let harness: UnitHarness;
let unit: CharmUnit;
let counterpart: { machine: UnitMachine; address: string };
let charm: { file: string; remove: () => void };
/** The orchestra unit's state, carried from hook to hook. */
let s: State;
let deployFailure: string | null = null;

/** Runs a hook on the orchestra unit with the current state and keeps the state it leaves. */
async function hook(event: CharmEvent, input: State = s): Promise<State> {
  const out = await unit.context.run(event, input);
  s = out.state;
  return s;
}

/** A relation from the counterpart machine, with the addresses Juju fills on both sides. */
function related(endpoint: string, remoteApp: string, remoteData: Record<string, string> = {}): Relation {
  const juju = (address: string) => ({ "private-address": address, "ingress-address": address, "egress-subnets": `${address}/32` });
  return relation({ endpoint, remoteApp, localUnitData: juju(unit.address), remoteUnitsData: { 0: { ...juju(counterpart.address), ...remoteData } } });
}

/** Relates: relation-joined then relation-changed, as Juju runs them. */
async function relate(rel: Relation): Promise<Relation> {
  await hook(unit.context.on.relationJoined(rel), { ...s, relations: [...s.relations, rel] });
  await hook(unit.context.on.relationChanged(rel));
  return s.relations.find((r) => r.id === rel.id)!;
}

/** Breaks a relation: relation-broken, then it is gone from the state. */
async function unrelate(rel: Relation): Promise<void> {
  await hook(unit.context.on.relationBroken(rel));
  s = { ...s, relations: s.relations.filter((r) => r.id !== rel.id) };
}

function deployed(): void {
  if (deployFailure !== null) throw new Error(deployFailure);
}

/** Runs on the counterpart machine; stdout. */
async function onCounterpart(argv: readonly string[]): Promise<string> {
  return await counterpart.machine.sh(argv, { env: UNIT_ENV, timeoutMs: 120_000 });
}

/** Whether the orchestra unit listens on `port` (tcp or udp). */
async function listensOn(port: number): Promise<boolean> {
  return new RegExp(`:${port}\\s`).test(await unit.machine.sh(["ss", "-Hltnu"]));
}

/** Sends `line` through the counterpart's rsyslog as `tag` until orchestra's per-host file has it. */
async function landsInPerHostFile(tag: string, line: string): Promise<string> {
  const file = "/var/log/orchestra/hosts/counterpart-1.log";
  return await retryFor(90_000, async () => {
    // rsyslog retries a failed forward only after a pause: send again each round.
    await onCounterpart(["logger", "-t", tag, line]);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const content = (await unit.machine.exec(["cat", file])).stdout;
    if (!content.includes(line)) {
      const journal = await counterpart.machine.exec(["journalctl", "-u", "rsyslog", "--no-pager", "-n", "15"]);
      throw new Error(`${line} not in ${file}; the counterpart's rsyslog says:\n${journal.stdout}`);
    }
    return content;
  }, 3000);
}

beforeAll(async () => {
  let started = Date.now();
  [charm, harness] = await Promise.all([packedCharm(), startHarness()]);
  console.log(`units: root ${harness.root.buildSeconds} s to build (0: cached), repository ${harness.repository.buildSeconds} s; harness ready in ${secondsSince(started)} s`);
  started = Date.now();
  unit = await harness.deployUnit({ charmFile: charm.file, index: 0 });
  counterpart = await harness.addMachine(1, "counterpart-1");
  console.log(`units: two units booted in ${secondsSince(started)} s`);
  const installCounterpart = async () => {
    const begun = Date.now();
    await counterpart.machine.sh(["apt-get", "update"], { env: UNIT_ENV, timeoutMs: 300_000 });
    await counterpart.machine.sh(["apt-get", "install", "--yes", "--no-install-recommends", ...COUNTERPART_PACKAGES], { env: UNIT_ENV, timeoutMs: 15 * 60_000 });
    console.log(`units: counterpart installed ${COUNTERPART_PACKAGES.join(", ")} in ${secondsSince(begun)} s`);
  };
  const deployOrchestra = async () => {
    const begun = Date.now();
    const ctx = unit.context;
    s = state({ leader: true, config: CONFIG, networks: unit.networks() });
    for (const event of [ctx.on.install(), ctx.on.leaderElected(), ctx.on.configChanged(), ctx.on.start()]) {
      const out = await ctx.runUnchecked(event, s);
      if (out.exitCode !== 0) {
        deployFailure = `hook ${event.name} exited ${out.exitCode}: ${out.stderr.slice(-1500)}`;
        return;
      }
      s = out.state;
    }
    console.log(`units: orchestra (${CONFIG.components}) install → start in ${secondsSince(begun)} s: ${JSON.stringify(s.unitStatus)}`);
  };
  await Promise.all([installCounterpart(), deployOrchestra()]);
}, 30 * 60_000);

afterAll(async () => {
  await harness?.stop();
  charm?.remove();
}, 5 * 60_000);

describe("relations with a counterpart machine", () => {
  it("the orchestra unit is active", () => {
    deployed();
    expect(s.unitStatus.status).toBe("active");
  });

  it("syslog: a TLS client with the client certificate from the relation's secret lands its line in its per-host file", async () => {
    deployed();
    const rel = await relate(related("syslog", "syslog-client", { protocol: "tcp+tls" }));
    const data = rel.localUnitData;
    expect({ host: data.host, port: data.port, protocol: data.protocol }).toEqual({ host: unit.address, port: "6514", protocol: "tcp+tls" });
    const secretId = rel.localAppData["client-cert-secret-id"];
    expect(secretId, JSON.stringify(rel.localAppData)).toMatch(/^secret:/);
    const tls = findSecret(s, secretId!)!;
    // What a TLS syslog client charm does with it: rsyslog's gtls driver, the server checked
    // against the CA, its own certificate presented.
    await onCounterpart(["install", "-d", "-m", "0750", "-g", "syslog", "/etc/orchestra-syslog"]);
    await counterpart.machine.writeFile("/etc/orchestra-syslog/ca.pem", data["ca-cert"]!);
    await counterpart.machine.writeFile("/etc/orchestra-syslog/cert.pem", tls.contents.cert!);
    await counterpart.machine.writeFile("/etc/orchestra-syslog/key.pem", tls.contents.key!);
    await onCounterpart(["chgrp", "syslog", "/etc/orchestra-syslog/key.pem"]);
    await onCounterpart(["chmod", "0640", "/etc/orchestra-syslog/key.pem"]);
    await counterpart.machine.writeFile("/etc/rsyslog.d/70-orchestra-tls.conf", [
      'global(DefaultNetstreamDriverCAFile="/etc/orchestra-syslog/ca.pem" DefaultNetstreamDriverCertFile="/etc/orchestra-syslog/cert.pem" DefaultNetstreamDriverKeyFile="/etc/orchestra-syslog/key.pem")',
      `if $programname == "tls-sender" then action(type="omfwd" target="${data.host}" port="${data.port}" protocol="tcp" StreamDriver="gtls" StreamDriverMode="1" StreamDriverAuthMode="x509/certvalid")`,
      "",
    ].join("\n"));
    await onCounterpart(["rsyslogd", "-N1"]);
    await onCounterpart(["systemctl", "restart", "rsyslog"]);
    const line = `tls-line-${Date.now()}`;
    expect(await landsInPerHostFile("tls-sender", line)).toContain(line);
    // A client that checks the server's name (RFC 5425 asks it to) against the host the
    // relation names: the certificate must carry that address, not only the provisioning one.
    // It presents the relation's client certificate, as rsyslog requires one (mutual TLS):
    // without it the server ends the session after the handshake and s_client exits 1.
    const nameCheck = await harness.inClient(counterpart.machine.member, ["sh", "-c",
      'd=$(mktemp -d); printf "%s" "$1" > $d/ca.pem; printf "%s" "$4" > $d/cert.pem; printf "%s" "$5" > $d/key.pem; echo | timeout 20 openssl s_client -connect "$2:$3" -CAfile $d/ca.pem -cert $d/cert.pem -key $d/key.pem -verify_ip "$2" -verify_return_error; code=$?; rm -rf $d; exit $code',
      "sh", data["ca-cert"]!, data.host!, data.port!, tls.contents.cert!, tls.contents.key!]);
    expect(nameCheck.exitCode, String(nameCheck.all).slice(-800)).toBe(0);
  }, 5 * 60_000);

  it("syslog: a plain forwarder in rsyslog-forwarder-ha's style is named in the status, and lands its lines on 514 only with syslog-plain-listener, only while related", async () => {
    deployed();
    expect(await listensOn(514)).toBe(false);
    const rel = await relate(related("syslog", "rsyslog-forwarder-ha"));
    // Off by default: nothing on 514, and the status says what to set.
    expect(s.unitStatus.message).toContain("rsyslog-forwarder-ha forward plain syslog: set syslog-plain-listener=true");
    expect(await listensOn(514)).toBe(false);

    // rsyslog-forwarder-ha reads only the private-address of our unit and forwards to 514.
    const target = rel.localUnitData["private-address"];
    expect(target).toBe(unit.address);
    // Its fanout template: `*.* @host:514` for protocol=udp (its default), `@@host:514` for tcp;
    // here one tag each, so the TLS client's lines stay apart.
    await counterpart.machine.writeFile("/etc/rsyslog.d/71-forwarder-ha.conf", [
      `if $programname == "plain-udp" then @${target}:514`,
      `if $programname == "plain-tcp" then @@${target}:514`,
      "",
    ].join("\n"));
    await onCounterpart(["systemctl", "restart", "rsyslog"]);

    await hook(unit.context.on.configChanged(), { ...s, config: { ...s.config, "syslog-plain-listener": true } });
    expect(s.unitStatus.status).toBe("active");
    expect(s.openedPorts).toEqual(expect.arrayContaining(["514/tcp", "514/udp"]));
    await retryFor(30_000, async () => { if (!(await listensOn(514))) throw new Error("nothing listens on 514"); });
    for (const tag of ["plain-udp", "plain-tcp"]) {
      const line = `${tag}-line-${Date.now()}`;
      expect(await landsInPerHostFile(tag, line)).toContain(line);
    }

    await unrelate(rel);
    expect(s.openedPorts).not.toContain("514/tcp");
    await retryFor(30_000, async () => { if (await listensOn(514)) throw new Error("514 still listens"); });
  }, 6 * 60_000);

  it("ec2-api: the AWS CLI on the counterpart runs describe-instances with the credential from the relation's secret, refused once the relation is gone", async () => {
    deployed();
    const rel = await relate(related("ec2-api", "ec2-client"));
    const data = { ...rel.localUnitData, ...rel.localAppData };
    expect(data.endpoint).toBe(`http://${unit.address}:8773/`);
    const credential = findSecret(s, data["credential-secret-id"]!)!;
    const env = {
      AWS_ACCESS_KEY_ID: credential.contents["access-key-id"]!,
      AWS_SECRET_ACCESS_KEY: credential.contents["secret-access-key"]!,
      AWS_EC2_METADATA_DISABLED: "true",
      AWS_CONFIG_FILE: "/dev/null",
      AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
    };
    const describe = ["aws", "ec2", "describe-instances", "--endpoint-url", data.endpoint!, "--region", data.region!, "--output", "json"];
    const answered = await retryFor(60_000, async () => {
      const result = await harness.inClient(counterpart.machine.member, describe, { env });
      if (result.exitCode !== 0) throw new Error(`describe-instances exited ${result.exitCode}: ${String(result.all)}`);
      return JSON.parse(String(result.stdout)) as { Reservations: unknown[] };
    });
    expect(answered.Reservations).toEqual([]);

    await unrelate(rel);
    expect(s.secrets.find((x) => x.id === data["credential-secret-id"])).toBeUndefined();
    const refused = await harness.inClient(counterpart.machine.member, describe, { env });
    expect(refused.exitCode).not.toBe(0);
    expect(String(refused.all)).toMatch(/AuthFailure|InvalidClientTokenId|not valid/);
  }, 4 * 60_000);

  it("webdav-storage: the counterpart stores and reads a file with the credentials it was granted, and is refused without", async () => {
    deployed();
    const rel = await relate(related("webdav-storage", "webdav-client"));
    const url = rel.localUnitData["storage-url"]!;
    expect(url).toBe(`http://${unit.address}:80/webdav/`);
    const credentials = findSecret(s, rel.localAppData["credentials-secret-id"]!)!;
    const auth = `${credentials.contents.username}:${credentials.contents.password}`;
    const code = (argv: string[]) => onCounterpart(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", ...argv]);
    await counterpart.machine.writeFile("/tmp/backup.tar", "counterpart-state\n");
    expect(await code(["-u", auth, "-T", "/tmp/backup.tar", `${url}backup.tar`])).toMatch(/^20[14]$/);
    // Byte for byte: compare checksums (the command's output loses its final newline).
    const stored = await onCounterpart(["sh", "-c", 'curl -sSf -u "$1" "$2" | sha256sum', "sh", auth, `${url}backup.tar`]);
    expect(stored).toBe(await onCounterpart(["sh", "-c", "sha256sum < /tmp/backup.tar"]));
    expect(await code([`${url}backup.tar`])).toBe("401");
    expect(await code(["-T", "/tmp/backup.tar", `${url}anonymous.tar`])).toBe("401");
    expect(await code(["-u", `${credentials.contents.username}:wrong`, `${url}backup.tar`])).toBe("401");
  }, 3 * 60_000);

  it("metrics-endpoint: a real Prometheus scrapes orchestra with exactly the relation's scrape job", async () => {
    deployed();
    const rel = await relate(related("metrics-endpoint", "prometheus"));
    const config = renderPrometheusConfig(rel.localAppData, [rel.localUnitData]);
    const job = JSON.parse(config).scrape_configs[0] as { job_name: string; metrics_path: string; static_configs: Array<{ targets: string[] }> };
    expect(job.metrics_path).toBe("/metrics");
    await counterpart.machine.writeFile("/etc/prometheus/prometheus.yml", config);
    await onCounterpart(["promtool", "check", "config", "/etc/prometheus/prometheus.yml"]);
    await onCounterpart(["systemctl", "restart", "prometheus"]);
    const api = (path: string) => onCounterpart(["curl", "-sSf", "--get", `http://127.0.0.1:9090/api/v1/${path}`]);
    const target = await retryFor(90_000, async () => {
      const targets = JSON.parse(await api("targets")).data.activeTargets as Array<{ scrapePool: string; scrapeUrl: string; health: string; lastError: string }>;
      const ours = targets.find((t) => t.scrapePool === job.job_name);
      if (ours?.health !== "up") throw new Error(`target not up yet: ${JSON.stringify(targets)}`);
      return ours;
    }, 2000);
    expect(target.scrapeUrl).toBe(`http://${job.static_configs[0]!.targets[0]}/metrics`);
    const series = await retryFor(30_000, async () => {
      const result = JSON.parse(await onCounterpart(["curl", "-sSf", "--get", "--data-urlencode", 'query=orchestra_machines{status="ready"}', "http://127.0.0.1:9090/api/v1/query"])).data.result as Array<{ metric: Record<string, string> }>;
      if (result.length === 0) throw new Error("no orchestra_machines series yet");
      return result;
    }, 2000);
    expect(series[0]!.metric).toMatchObject({ job: job.job_name, juju_application: "orchestra", juju_unit: "orchestra/0" });
  }, 4 * 60_000);

  it("malformed data from a related application blocks with the reason and changes no file", async () => {
    deployed();
    const checksums = async () => await unit.machine.sh(["sh", "-c", 'find "$@" -type f -print0 | sort -z | xargs -0 sha256sum', "sh", ...CHARM_FILES]);
    const before = await checksums();
    const rel = related("syslog", "bad-forwarder", { protocol: 'udp\n*.* action(type="omfile" file="/etc/shadow")' });
    await hook(unit.context.on.relationJoined(rel), { ...s, relations: [...s.relations, rel] });
    await hook(unit.context.on.relationChanged(rel));
    expect(s.unitStatus.status).toBe("blocked");
    expect(s.unitStatus.message).toContain('syslog relation: bad-forwarder/0 published protocol "udp');
    expect(await checksums()).toBe(before);
    expect((await unit.machine.exec(["systemctl", "is-active", "rsyslog", "nginx", "orchestra"])).stdout.trim().split("\n")).toEqual(["active", "active", "active"]);
  }, 3 * 60_000);
});
