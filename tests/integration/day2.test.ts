/**
 * Day 2 on a real unit: upgrade-charm from the previous packed build (PREVIOUS_CHARM_REF,
 * packed from git and cached by its commit) keeps machines, credentials and the CA; every
 * hook run a second time changes nothing (checksums of what the charm writes, the services'
 * start times, the State it hands back); a component dropped from the list is torn down and
 * nothing else restarts; stop and remove leave no listener, unit file or config of
 * Orchestra's behind. One unit for the whole file, with every component but puppetserver
 * (its JVM adds minutes and deploy.test.ts proves it).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { state, type CharmEvent, type State } from "../../lib/testing/index.ts";
import type { CharmUnit, UnitHarness } from "../../lib/testing/units/index.ts";
import { PREVIOUS_CHARM_REF, packedCharmAt } from "./previous-charm.ts";
import { packedCharm, retryFor, secondsSince, startHarness } from "./unit-fixture.ts";

const COMPONENTS = ["dnsmasq", "squid", "rsyslog", "nginx"];
const SERVICES = [...COMPONENTS, "orchestra"];
const CONFIG = {
  components: COMPONENTS.join(" "),
  "dhcp-mode": "full",
  "provisioning-interface": "eth1",
  "provisioning-subnet": "192.0.2.0/24",
  "dhcp-range": "192.0.2.100,192.0.2.150",
};
// Where the charm writes: its drop-ins in the packages' directories, /etc/orchestra, the
// service's runtime and the data directory (but not the store, which the service writes).
const CHARM_WRITES = ["/etc", "/opt/orchestra", "/var/lib/orchestra"];
const NOT_THE_CHARMS = ["/var/lib/orchestra/orchestra.db", "/etc/ld.so.cache"];

let harness: UnitHarness;
let unit: CharmUnit;
let current: { file: string; remove: () => void };
let s: State;

/** sha256 of every file under the charm's directories, by path. */
async function checksums(): Promise<Record<string, string>> {
  const out = await unit.machine.sh(["sh", "-c", 'find "$@" -xdev -type f -print0 | xargs -0 sha256sum', "sh", ...CHARM_WRITES]);
  const sums: Record<string, string> = {};
  for (const line of out.trim().split("\n")) {
    const [sum, path] = [line.slice(0, 64), line.slice(66)];
    if (!NOT_THE_CHARMS.some((p) => path.startsWith(p))) sums[path] = sum;
  }
  return sums;
}

/** When each service last entered `active`, and its main pid: a restart changes both. */
async function startTimes(services: readonly string[] = SERVICES): Promise<Record<string, string>> {
  return Object.fromEntries(await Promise.all(services.map(async (service) =>
    [service, (await unit.machine.sh(["systemctl", "show", "--property=ActiveEnterTimestampMonotonic,MainPID", service])).trim()] as const)));
}

async function run(event: CharmEvent, input: State = s): Promise<State> {
  const started = Date.now();
  const out = await unit.context.runUnchecked(event, input);
  console.log(`units: ${event.name} took ${secondsSince(started)} s, exit ${out.exitCode}, ${JSON.stringify(out.state.unitStatus)}`);
  if (out.exitCode !== 0) throw new Error(`${event.name} exited ${out.exitCode}: ${out.stderr.slice(-1500)}`);
  return out.state;
}

async function ec2DescribeRegions(credential: { id: string; secret: string }): Promise<string> {
  const client = await clientMember();
  const result = await harness.inClient(client, ["aws", "ec2", "describe-regions", "--endpoint-url", `http://${unit.address}:8773`, "--region", "orchestra", "--output", "text"], {
    env: { AWS_ACCESS_KEY_ID: credential.id, AWS_SECRET_ACCESS_KEY: credential.secret, AWS_EC2_METADATA_DISABLED: "true", AWS_CONFIG_FILE: "/dev/null", AWS_SHARED_CREDENTIALS_FILE: "/dev/null" },
  });
  if (result.exitCode !== 0) throw new Error(`describe-regions exited ${result.exitCode}: ${String(result.all)}`);
  return String(result.stdout);
}

let client: Awaited<ReturnType<UnitHarness["addClient"]>> | undefined;
async function clientMember() {
  client ??= await harness.addClient("c1", { unitAddress: "198.51.100.100" });
  return client;
}

beforeAll(async () => {
  const started = Date.now();
  let previous: Awaited<ReturnType<typeof packedCharmAt>>;
  [previous, current, harness] = await Promise.all([packedCharmAt(PREVIOUS_CHARM_REF), packedCharm(), startHarness()]);
  console.log(`units: previous charm (${previous.commit.slice(0, 10)}) ${previous.buildSeconds} s to pack (0: cached); harness ready in ${secondsSince(started)} s`);
  // The unit starts on the previous build, as a deployed application would be.
  unit = await harness.deployUnit({ charmFile: previous.file, index: 0 });
  s = state({ leader: true, config: CONFIG, networks: unit.networks() });
  const deployed = Date.now();
  for (const event of [unit.context.on.install(), unit.context.on.leaderElected(), unit.context.on.configChanged(), unit.context.on.start()]) s = await run(event);
  console.log(`units: previous build install → active in ${secondsSince(deployed)} s`);
}, 40 * 60_000);

afterAll(async () => {
  await harness?.stop();
  current?.remove();
}, 5 * 60_000);

describe("day 2 on a real unit", () => {
  it("upgrade-charm from the previous build keeps machines, credentials and the CA", async () => {
    expect(s.unitStatus.status).toBe("active");
    const enlisted = await unit.context.run(unit.context.on.action("enlist-machine", { mac: "52:54:00:d2:00:01", "power-type": "manual", hostname: "kept-1" }), s);
    expect(enlisted.actionFailure).toBeUndefined();
    const created = await unit.context.run(unit.context.on.action("create-credentials", { account: "day2" }), s);
    const credential = { id: String(created.actionResults["access-key-id"]), secret: String(created.actionResults["secret-access-key"]) };
    await retryFor(60_000, () => ec2DescribeRegions(credential));
    const keep = ["/var/lib/orchestra/pki/ca.pem", "/var/lib/orchestra/pki/ca.key", "/var/lib/orchestra/credentials.key"];
    const before = await unit.machine.sh(["sha256sum", ...keep]);
    const bundleBefore = await unit.machine.sh(["sha256sum", "/opt/orchestra/orchestra.js"]);

    // What Juju does: the new charm replaces the old in the charm directory, then the hooks run.
    // (Emptied, not removed: the unit sees the directory through a bind mount.)
    for (const entry of readdirSync(unit.charmDir)) rmSync(join(unit.charmDir, entry), { recursive: true, force: true });
    await execa("unzip", ["-q", current.file, "-d", unit.charmDir]);
    const started = Date.now();
    s = await run(unit.context.on.upgradeCharm());
    s = await run(unit.context.on.configChanged());
    console.log(`units: upgrade-charm + config-changed took ${secondsSince(started)} s`);
    expect(s.unitStatus.status).toBe("active");
    // The service runs the new build...
    const bundle = (await unit.machine.sh(["sha256sum", "/opt/orchestra/orchestra.js"])).split(" ")[0];
    expect(bundle).not.toBe(bundleBefore.split(" ")[0]);
    expect(bundle).toBe((await execa("sha256sum", [join(unit.charmDir, "dist", "orchestra.js")])).stdout.split(" ")[0]);
    // ...with the same CA, sealing key, machines and credentials.
    expect(await unit.machine.sh(["sha256sum", ...keep])).toBe(before);
    const listed = await unit.context.run(unit.context.on.action("list-machines"), s);
    expect(String(listed.actionResults.machines)).toContain("kept-1");
    expect(await retryFor(60_000, () => ec2DescribeRegions(credential))).toContain("orchestra");
  }, 15 * 60_000);

  it("every hook run a second time changes nothing: files, service start times, State", async () => {
    const hooks = [
      unit.context.on.install(), unit.context.on.leaderElected(), unit.context.on.configChanged(), unit.context.on.start(),
      unit.context.on.upgradeCharm(), unit.context.on.updateStatus(), unit.context.on.leaderSettingsChanged(),
    ];
    for (const event of hooks) {
      const first = await run(event);
      const files = await checksums();
      const times = await startTimes();
      const second = await run(event, first);
      expect({ hook: event.name, files: await checksums() }).toEqual({ hook: event.name, files });
      expect({ hook: event.name, times: await startTimes() }).toEqual({ hook: event.name, times });
      const comparable = (x: State) => ({ relations: x.relations, openedPorts: [...x.openedPorts].sort(), secrets: x.secrets, stored: x.stored, leaderData: x.leaderData, unitStatus: x.unitStatus });
      expect({ hook: event.name, state: comparable(second) }).toEqual({ hook: event.name, state: comparable(first) });
      s = second;
    }
  }, 20 * 60_000);

  it("dropping a component from the list tears it down and restarts nothing else; adding it back starts only it", async () => {
    const others = SERVICES.filter((x) => x !== "dnsmasq");
    const before = await startTimes(others);
    const without = { ...s.config, components: COMPONENTS.filter((c) => c !== "dnsmasq").join(" ") };
    s = await run(unit.context.on.configChanged(), { ...s, config: without });
    expect(s.unitStatus.status).toBe("active");
    expect((await unit.machine.exec(["systemctl", "is-active", "dnsmasq"])).stdout.trim()).toBe("inactive");
    expect((await unit.machine.exec(["systemctl", "is-enabled", "dnsmasq"])).stdout.trim()).toBe("disabled");
    expect((await unit.machine.exec(["test", "-e", "/etc/dnsmasq.d/orchestra.conf"])).exitCode).not.toBe(0);
    expect(await unit.machine.sh(["ss", "-Hlun"])).not.toMatch(/:(67|69)\s/);
    expect(s.openedPorts.filter((p) => /^(67|69|4011)\//.test(p))).toEqual([]);
    expect(await startTimes(others)).toEqual(before);

    s = await run(unit.context.on.configChanged(), { ...s, config: CONFIG });
    expect(s.unitStatus.status).toBe("active");
    expect((await unit.machine.exec(["systemctl", "is-active", "dnsmasq"])).stdout.trim()).toBe("active");
    expect(await unit.machine.sh(["ss", "-Hlun"])).toMatch(/:67\s/);
    expect(await startTimes(others)).toEqual(before);
  }, 10 * 60_000);

  it("stop then remove disable and stop what the charm started and leave no listener, unit file or config of Orchestra's", async () => {
    s = await run(unit.context.on.stop());
    s = await run(unit.context.on.remove());
    for (const service of SERVICES.filter((x) => x !== "rsyslog")) {
      const active = (await unit.machine.exec(["systemctl", "is-active", service])).stdout.trim();
      const enabled = (await unit.machine.exec(["systemctl", "is-enabled", service])).stdout.trim();
      expect({ service, active, enabled: enabled === "" ? "disabled" : enabled }).toEqual({ service, active: "inactive", enabled: "disabled" });
    }
    // rsyslog was on the machine before the charm (as on Ubuntu): running on its own config.
    expect((await unit.machine.exec(["systemctl", "is-active", "rsyslog"])).stdout.trim()).toBe("active");
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const listeners = await unit.machine.sh(["ss", "-Hltun"]);
    for (const port of [67, 69, 80, 514, 4011, 5248, 6514, 8000, 8773]) expect({ port, listening: new RegExp(`:${port}\\s`).test(listeners) }).toEqual({ port, listening: false });
    const left = (await unit.machine.exec(["sh", "-c", "ls -d /etc/systemd/system/orchestra.service /etc/orchestra /etc/dnsmasq.d/orchestra.conf /etc/squid/conf.d/orchestra.conf /etc/rsyslog.d/60-orchestra.conf /etc/nginx/conf.d/orchestra.conf /etc/nginx/orchestra* 2>/dev/null; ls -d /opt/orchestra 2>/dev/null; grep -rl 'Managed by the orchestra charm' /etc 2>/dev/null; true"])).stdout.trim();
    expect(left).toBe("");
  }, 10 * 60_000);
});
