import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { getRelation, relation, type State } from "../../../lib/testing/index.ts";
import { charmHarness, configured, freePort, type CharmHarness } from "../charm-harness.ts";

let h: CharmHarness;
beforeEach(() => { h = charmHarness(); });
afterEach(() => h.cleanup());

async function installedUnit(fields: Partial<State> = {}): Promise<State> {
  return (await h.ctx.run(h.ctx.on.install(), configured({ leader: true, config: { components: "dnsmasq" }, ...fields }))).state;
}

describe("upgrade-charm", () => {
  it("re-runs the reconcile: nothing changes when nothing changed", async () => {
    const s = await installedUnit();
    h.clearCommands();
    const out = await h.ctx.run(h.ctx.on.upgradeCharm(), s);
    expect(out.state).toEqual(s);
    expect(h.commands().filter((c) => c[0] === "apt-get" || c[1] === "restart")).toEqual([]);
  });

  it("puts back a config file the operator or a package changed, and restarts that service", async () => {
    const s = await installedUnit();
    const path = "/etc/dnsmasq.d/orchestra.conf";
    const rendered = h.read(path);
    writeFileSync(join(h.root, path), "interface=eth9\n");
    h.clearCommands();
    await h.ctx.run(h.ctx.on.upgradeCharm(), s);
    expect(h.read(path)).toBe(rendered);
    expect(h.commands().filter((c) => c[1] === "restart")).toEqual([["systemctl", "restart", "dnsmasq"]]);
  });
});

describe("leadership", () => {
  it("a unit that becomes leader publishes the application data it could not before", async () => {
    const rel = relation({ endpoint: "metrics-endpoint", remoteApp: "prometheus" });
    const follower = await installedUnit({ leader: false, relations: [rel] });
    const joined = await h.ctx.run(h.ctx.on.relationJoined(rel), follower);
    expect(getRelation(joined.state, rel).localAppData).toEqual({});
    expect(joined.state.workloadVersion).toBe("");

    const elected = await h.ctx.run(h.ctx.on.leaderElected(), { ...joined.state, leader: true });
    expect(Object.keys(getRelation(elected.state, rel).localAppData).sort()).toEqual(["scrape_jobs", "scrape_metadata"]);
    expect(elected.state.workloadVersion).toBe("0.1.0");
    expect(elected.state.unitStatus).toEqual({ status: "active", message: "" });

    const settings = await h.ctx.run(h.ctx.on.leaderSettingsChanged(), { ...elected.state, leader: false });
    expect(settings.state.unitStatus).toEqual({ status: "active", message: "" });
  });
});

describe("update-status", () => {
  it("reports machine counts", async () => {
    const s = await installedUnit();
    writeFileSync(join(h.stateDir, "machines.json"), JSON.stringify([
      { systemId: "a", hostname: "a", status: "ready" },
      { systemId: "b", hostname: "b", status: "ready" },
      { systemId: "c", hostname: "c", status: "deployed" },
    ]));
    const out = await h.ctx.run(h.ctx.on.updateStatus(), s);
    expect(out.state.unitStatus).toEqual({ status: "active", message: "3 machines: 1 deployed, 2 ready" });
  });

  it("lists the machines once, where rsyslog's permitted peers read them too", async () => {
    const s = await installedUnit({ config: { components: "rsyslog" } });
    writeFileSync(join(h.stateDir, "machines.json"), JSON.stringify([{ systemId: "a", hostname: "a", status: "deployed", instance: { instanceId: "i-0123456789abcdef0" } }]));
    h.clearCommands();
    const out = await h.ctx.run(h.ctx.on.updateStatus(), s);
    expect(out.state.unitStatus).toEqual({ status: "active", message: "1 machine: 1 deployed" });
    expect(h.commands().filter((argv) => argv.includes("machines") && argv.includes("list"))).toHaveLength(1);
  });

  it("says when counts are unavailable, and stays active", async () => {
    const s = await installedUnit();
    h.flag("orchestra-fail");
    const out = await h.ctx.run(h.ctx.on.updateStatus(), s);
    expect(out.state.unitStatus).toEqual({ status: "active", message: "machine counts unavailable" });
    expect(out.logs.some((l) => l.level === "WARNING" && l.message.includes("the store is unavailable"))).toBe(true);
  });

  it("restarts a service that died, and reports one that will not start", async () => {
    const s = await installedUnit();
    h.flag("svc-dnsmasq", false);
    const restarted = await h.ctx.run(h.ctx.on.updateStatus(), s);
    expect(h.running("dnsmasq")).toBe(true);
    expect(restarted.state.unitStatus.status).toBe("active");

    h.override("systemctl", `[ "$1" = is-active ] && [ "$3" = dnsmasq ] && exit 3; [ "$1" = is-active ] && exit 0; exit 0`);
    const dead = await h.ctx.run(h.ctx.on.updateStatus(), s);
    expect(dead.state.unitStatus).toEqual({ status: "maintenance", message: "not running: dnsmasq" });
  });
});

describe("stop and remove", () => {
  it("stop stops every service; remove too", async () => {
    const s = await installedUnit();
    expect(h.running("orchestra")).toBe(true);
    const stopped = await h.ctx.run(h.ctx.on.stop(), s);
    expect(h.running("orchestra")).toBe(false);
    expect(h.running("dnsmasq")).toBe(false);
    expect(stopped.state.unitStatus).toEqual({ status: "maintenance", message: "stopped" });
    const removed = await h.ctx.run(h.ctx.on.remove(), stopped.state);
    expect(removed.state.unitStatus).toEqual({ status: "maintenance", message: "removing" });
  });
});

describe("idempotence of every hook", () => {
  // One installed unit for every hook name: each starts from the same State.
  let unit: CharmHarness;
  let installed: State;
  beforeAll(async () => {
    unit = charmHarness();
    installed = (await unit.ctx.run(unit.ctx.on.install(), configured({ leader: true, config: { components: "dnsmasq" } }))).state;
  });
  afterAll(() => unit.cleanup());

  it.each(["config-changed", "start", "update-status", "upgrade-charm", "leader-elected"])("%s run twice gives the same State and changes nothing the second time", async (name) => {
    const first = await unit.ctx.run({ kind: "hook", name }, installed);
    unit.clearCommands();
    const second = await unit.ctx.run({ kind: "hook", name }, first.state);
    expect(second.state).toEqual(first.state);
    expect(unit.commands().filter((c) => c[0] === "apt-get" || ["restart", "reload-or-restart", "daemon-reload"].includes(c[1] ?? ""))).toEqual([]);
  });
});

describe("without systemd", () => {
  it("uses the init scripts for packaged services", async () => {
    const direct = charmHarness({ serviceManager: "direct" });
    try {
      const config = { components: "dnsmasq", "listen-address": "127.0.0.1", "boot-port": await freePort(), "ec2-port": await freePort() };
      // Debian's dnsmasq package ships an init script.
      mkdirSync(join(direct.root, "etc/init.d"), { recursive: true });
      writeFileSync(join(direct.root, "etc/init.d/dnsmasq"), "#!/bin/sh\n");
      const out = await direct.ctx.run(direct.ctx.on.install(), configured({ leader: true, config }));
      expect(direct.commands().filter((c) => c[0] === "service")).toContainEqual(["service", "dnsmasq", "start"]);
      expect(direct.commands().filter((c) => c[0] === "systemctl")).toEqual([]);
      // The orchestra service itself is a pid-file process in this mode: stop it by pid.
      const pid = Number(direct.read("/run/orchestra/orchestra.pid").trim());
      expect(() => process.kill(pid, 0)).not.toThrow();
      await direct.ctx.run(direct.ctx.on.stop(), out.state);
      expect(direct.exists("/run/orchestra/orchestra.pid")).toBe(false);
      expect(() => process.kill(pid, 0)).toThrow();
    } finally {
      direct.cleanup();
    }
  });

  it("runs a daemon whose package has no init script in the foreground, by pid", async () => {
    const direct = charmHarness({ serviceManager: "direct" });
    try {
      // rsyslog has only a systemd unit in Debian: the charm runs `rsyslogd -n` itself.
      direct.override("rsyslogd", `[ "$1" = -n ] && exec sleep 300; exit 0`);
      const config = { components: "rsyslog", "dhcp-mode": "off", "listen-address": "127.0.0.1", "boot-port": await freePort(), "ec2-port": await freePort() };
      const out = await direct.ctx.run(direct.ctx.on.install(), configured({ leader: true, config }));
      expect(out.state.unitStatus).toEqual({ status: "active", message: "" });
      const pid = Number(direct.read("/run/orchestra/rsyslog.pid").trim());
      expect(() => process.kill(pid, 0)).not.toThrow();
      expect(direct.commands()).toContainEqual(["rsyslogd", "-n", "-iNONE"]);
      await direct.ctx.run(direct.ctx.on.stop(), out.state);
      expect(direct.exists("/run/orchestra/rsyslog.pid")).toBe(false);
    } finally {
      direct.cleanup();
    }
  });
});
