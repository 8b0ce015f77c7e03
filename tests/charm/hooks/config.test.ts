import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { state, type State } from "../../../lib/testing/index.ts";
import { charmHarness, configured, type CharmHarness } from "../charm-harness.ts";

let h: CharmHarness;
beforeEach(() => { h = charmHarness(); });
afterEach(() => h.cleanup());

describe("invalid config on a configured unit", () => {
  let unit: CharmHarness;
  let good: State;
  let before: string;
  // One configured unit for every case: each starts from its State and must leave its files.
  beforeAll(async () => {
    unit = charmHarness();
    good = (await unit.ctx.run(unit.ctx.on.configChanged(), configured({ leader: true }))).state;
    before = unit.read("/etc/dnsmasq.d/orchestra.conf");
  });
  afterAll(() => unit.cleanup());

  it.each([
    [{ "dhcp-mode": "sometimes" }, "dhcp-mode must be full, proxy or off"],
    [{ "provisioning-subnet": "10.10.0.1/24" }, "has host bits set"],
    [{ "dhcp-mode": "full" }, "dhcp-mode=full needs dhcp-range"],
    [{ "dhcp-range": "10.20.0.5,10.20.0.9" }, "is not inside provisioning-subnet"],
    [{ "ec2-port": 70000 }, "ec2-port must be a port number"],
    [{ "boot-port": 8773 }, "must differ"],
    [{ components: "dnsmasq cobbler" }, "unknown component \"cobbler\""],
    [{ "github-puppet-repository": "not a repo" }, "must be owner/name"],
  ] as const)("%j goes blocked, and the files stay as they were", async (bad, text) => {
    unit.clearCommands();
    const out = await unit.ctx.run(unit.ctx.on.configChanged(), configured({ ...good, config: { ...bad } }));
    expect(out.state.unitStatus.status).toBe("blocked");
    expect(out.state.unitStatus.message).toContain(text);
    expect(unit.read("/etc/dnsmasq.d/orchestra.conf")).toBe(before);
    expect(unit.commands().filter((c) => c[0] === "systemctl" && c[1] !== "is-active")).toEqual([]);
  });
});

describe("config-changed", () => {
  it("the default config is blocked with what to set, and writes nothing", async () => {
    const out = await h.ctx.run(h.ctx.on.install(), state({ leader: true }));
    expect(out.exitCode).toBe(0);
    expect(out.state.unitStatus.status).toBe("blocked");
    expect(out.state.unitStatus.message).toContain("set provisioning-interface");
    expect(out.state.unitStatus.message).toContain("set provisioning-subnet");
    expect(h.exists("/etc/dnsmasq.d/orchestra.conf")).toBe(false);
    expect(h.commands().filter((c) => c[0] === "apt-get")).toEqual([]);
  });

  it("a change restarts only the component whose config changed", async () => {
    const first = await h.ctx.run(h.ctx.on.configChanged(), configured({ leader: true }));
    h.clearCommands();
    const out = await h.ctx.run(h.ctx.on.configChanged(), configured({ ...first.state, config: { "dhcp-mode": "full", "dhcp-range": "10.10.0.100,10.10.0.200" } }));
    expect(out.state.unitStatus).toEqual({ status: "active", message: "" });
    expect(h.read("/etc/dnsmasq.d/orchestra.conf")).toContain("dhcp-range=10.10.0.100,10.10.0.200,12h\n");
    const restarts = h.commands().filter((c) => c[0] === "systemctl" && (c[1] === "restart" || c[1] === "reload-or-restart"));
    expect(restarts).toEqual([["systemctl", "restart", "dnsmasq"]]);
  });

  it("changing the region re-renders the orchestra service and restarts it", async () => {
    const first = await h.ctx.run(h.ctx.on.configChanged(), configured({ leader: true, config: { components: "" } }));
    h.clearCommands();
    await h.ctx.run(h.ctx.on.configChanged(), configured({ ...first.state, config: { components: "", region: "lab-1" } }));
    expect(h.read("/etc/orchestra/orchestra.env")).toContain('ORCHESTRA_REGION="lab-1"');
    expect(h.commands().filter((c) => c[1] === "restart")).toEqual([["systemctl", "restart", "orchestra"]]);
  });

  it("a daemon that refuses its new config gets the old file back and the unit goes blocked", async () => {
    const first = await h.ctx.run(h.ctx.on.configChanged(), configured({ leader: true }));
    const before = h.read("/etc/dnsmasq.d/orchestra.conf");
    h.flag("reject-dnsmasq");
    h.clearCommands();
    const out = await h.ctx.run(h.ctx.on.configChanged(), configured({ ...first.state, config: { "dns-domain": "other.lan" } }));
    expect(out.state.unitStatus.status).toBe("blocked");
    expect(out.state.unitStatus.message).toContain("dnsmasq: refused its new configuration (dnsmasq: bad option); still on the previous one");
    expect(h.read("/etc/dnsmasq.d/orchestra.conf")).toBe(before);
    expect(h.commands().filter((c) => c[0] === "systemctl" && c[2] === "dnsmasq" && c[1] === "restart")).toEqual([]);
    // Fixed: the next hook applies the change.
    h.flag("reject-dnsmasq", false);
    const fixed = await h.ctx.run(h.ctx.on.updateStatus(), out.state);
    expect(fixed.state.unitStatus.status).toBe("active");
    expect(h.read("/etc/dnsmasq.d/orchestra.conf")).toContain("domain=other.lan");
  });

  it("a failing apt-get is a blocked status that says so, not a crashed hook", async () => {
    h.override("apt-get", `[ "$1" = update ] && exit 0; echo 'E: Unable to locate package squid' >&2; exit 100`);
    const out = await h.ctx.run(h.ctx.on.install(), configured({ leader: true, config: { components: "squid" } }));
    expect(out.exitCode).toBe(0);
    expect(out.state.unitStatus.status).toBe("blocked");
    expect(out.state.unitStatus.message).toContain("squid: apt-get install");
    expect(out.logs.some((l) => l.level === "ERROR" && l.message.includes("Unable to locate package squid"))).toBe(true);
    expect(h.running("squid")).toBe(false);
    // The orchestra service does not depend on squid: it still runs.
    expect(h.running("orchestra")).toBe(true);
  });
});
