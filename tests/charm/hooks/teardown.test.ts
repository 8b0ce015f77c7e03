/**
 * stop and remove on a machine that is kept: what the charm started must not come back
 * after a reboot, and a package the machine had before the charm goes back to serving the
 * machine the way it did.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { charmHarness, configured, type CharmHarness } from "../charm-harness.ts";

let h: CharmHarness;
beforeEach(() => { h = charmHarness(); });
afterEach(() => h.cleanup());

const disabled = (service: string) => existsSync(join(h.stateDir, `disabled-${service}`));

describe("stop and remove", () => {
  it("disable what the charm installed and started, rsyslog's socket activation too, and leave no orchestra unit", async () => {
    const s = (await h.ctx.run(h.ctx.on.install(), configured({ leader: true }))).state;
    h.clearCommands();
    const stopped = await h.ctx.run(h.ctx.on.stop(), s);
    for (const service of ["orchestra", "dnsmasq", "squid", "rsyslog", "puppetserver", "nginx"]) {
      expect(h.running(service), service).toBe(false);
      expect(disabled(service), service).toBe(true);
    }
    // journald would start rsyslog again through syslog.socket.
    expect(h.commands()).toContainEqual(["systemctl", "stop", "syslog.socket"]);
    const removed = await h.ctx.run(h.ctx.on.remove(), stopped.state);
    expect(removed.state.unitStatus).toEqual({ status: "maintenance", message: "removing" });
    expect(h.exists("/etc/systemd/system/orchestra.service")).toBe(false);
    // Its configuration (the database URL, the GitHub token) and runtime go with it.
    expect(h.exists("/etc/orchestra")).toBe(false);
    expect(h.exists("/opt/orchestra")).toBe(false);
  });

  it("give a package the machine had before (Ubuntu's rsyslog) back its own configuration, running", async () => {
    h.flag("pkg-rsyslog");
    h.flag("pkg-rsyslog-gnutls");
    h.flag("svc-rsyslog");
    const s = (await h.ctx.run(h.ctx.on.install(), configured({ leader: true, config: { components: "rsyslog" } }))).state;
    expect(h.exists("/etc/rsyslog.d/60-orchestra.conf")).toBe(true);
    h.clearCommands();
    await h.ctx.run(h.ctx.on.stop(), s);
    expect(h.exists("/etc/rsyslog.d/60-orchestra.conf")).toBe(false);
    expect(h.commands()).toContainEqual(["systemctl", "restart", "rsyslog"]);
    expect(h.running("rsyslog")).toBe(true);
    expect(disabled("rsyslog")).toBe(false);
    expect(disabled("orchestra")).toBe(true);
  });
});

describe("a machine's own rsyslog beside the rsyslog-gnutls the charm added", () => {
  it("is handed back running on its own configuration, not disabled", async () => {
    // As on Ubuntu 24.04: rsyslog comes with the machine, rsyslog-gnutls does not.
    h.flag("pkg-rsyslog");
    h.flag("svc-rsyslog");
    const s = (await h.ctx.run(h.ctx.on.install(), configured({ leader: true, config: { components: "rsyslog" } }))).state;
    const stopped = await h.ctx.run(h.ctx.on.stop(), s);
    await h.ctx.run(h.ctx.on.remove(), stopped.state);
    expect(h.exists("/etc/rsyslog.d/60-orchestra.conf")).toBe(false);
    expect(h.running("rsyslog")).toBe(true);
    expect(disabled("rsyslog")).toBe(false);
  });
});

describe("a component dropped from the list", () => {
  it("is torn down as stop would, once, and nothing else is touched", async () => {
    const s = (await h.ctx.run(h.ctx.on.install(), configured({ leader: true, config: { components: "dnsmasq squid" } }))).state;
    expect(h.running("dnsmasq")).toBe(true);
    h.clearCommands();
    const dropped = await h.ctx.run(h.ctx.on.configChanged(), { ...s, config: { ...s.config, components: "squid" } });
    expect(dropped.state.unitStatus.status).toBe("active");
    expect(h.running("dnsmasq")).toBe(false);
    expect(disabled("dnsmasq")).toBe(true);
    expect(h.exists("/etc/dnsmasq.d/orchestra.conf")).toBe(false);
    expect(dropped.state.openedPorts.filter((p) => /^(67|69|4011)\//.test(p))).toEqual([]);
    expect(h.running("squid")).toBe(true);
    expect(h.commands().filter((c) => c[0] === "systemctl" && c.includes("squid") && /restart|reload|stop|disable/.test(c[1] ?? ""))).toEqual([]);
    // The next hook finds nothing of it left and leaves it alone.
    h.clearCommands();
    await h.ctx.run(h.ctx.on.configChanged(), dropped.state);
    expect(h.commands().filter((c) => c.includes("dnsmasq") && !["is-active", "is-enabled"].includes(c[1] ?? ""))).toEqual([]);
  });
});

describe("stop without systemd", () => {
  it("stops a daemon the charm ran itself by pid, even when its package was there before", async () => {
    const direct = charmHarness({ serviceManager: "direct" });
    try {
      direct.flag("pkg-rsyslog");
      direct.flag("pkg-rsyslog-gnutls");
      direct.override("rsyslogd", `[ "$1" = -n ] && exec sleep 300; exit 0`);
      const config = { components: "rsyslog", "dhcp-mode": "off", "listen-address": "127.0.0.1" };
      const out = await direct.ctx.run(direct.ctx.on.install(), configured({ leader: true, config }));
      const pid = Number(direct.read("/run/orchestra/rsyslog.pid").trim());
      direct.clearCommands();
      await direct.ctx.run(direct.ctx.on.stop(), out.state);
      expect(() => process.kill(pid, 0)).toThrow();
      // Not started again on its own config: nothing but the charm would ever stop it.
      expect(direct.commands()).not.toContainEqual(["rsyslogd", "-n", "-iNONE"]);
      expect(direct.exists("/run/orchestra/rsyslog.pid")).toBe(false);
    } finally {
      direct.cleanup();
    }
  });
});
