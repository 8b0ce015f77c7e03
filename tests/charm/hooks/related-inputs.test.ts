/** What related applications send: squid admits apt-proxy units; malformed data changes no file. */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { relation, secret, type State } from "../../../lib/testing/index.ts";
import { bindingOn, charmHarness, configured, type CharmHarness } from "../charm-harness.ts";

let h: CharmHarness;
beforeEach(() => { h = charmHarness(); });
afterEach(() => h.cleanup());

const SQUID = "/etc/squid/conf.d/orchestra.conf";

describe("apt-proxy", () => {
  it("squid admits the ingress addresses of related units outside the provisioning subnet, in a config real squid parses", async () => {
    const rel = relation({ endpoint: "apt-proxy", remoteApp: "ubuntu", remoteUnitsData: { 0: { "ingress-address": "198.51.100.7", "private-address": "198.51.100.7" }, 1: { "private-address": "198.51.100.9" } } });
    const out = await h.ctx.run(h.ctx.on.relationChanged(rel), configured({ leader: true, config: { components: "squid" }, relations: [rel] }));
    expect(out.state.unitStatus.status).toBe("active");
    const conf = h.read(SQUID);
    expect(conf).toContain("acl orchestra_clients src 10.10.0.0/24 198.51.100.7/32 198.51.100.9/32\n");
    const dir = mkdtempSync(join(tmpdir(), "squid-parse-"));
    try {
      writeFileSync(join(dir, "squid.conf"), conf);
      const check = await execa("squid", ["-k", "parse", "-f", join(dir, "squid.conf")], { reject: false });
      expect(check.exitCode, String(check.stderr)).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("malformed data from a related application", () => {
  it("blocks with the reason and leaves squid's file as it was", async () => {
    const good = relation({ endpoint: "apt-proxy", remoteApp: "ubuntu", remoteUnitsData: { 0: { "ingress-address": "198.51.100.7" } } });
    const s = (await h.ctx.run(h.ctx.on.relationChanged(good), configured({ leader: true, config: { components: "squid" }, relations: [good] }))).state;
    const before = h.read(SQUID);
    const bad = { ...good, remoteUnitsData: { 0: { "ingress-address": "198.51.100.7 all\nhttp_access allow all" } } };
    h.clearCommands();
    const out = await h.ctx.run(h.ctx.on.relationChanged(bad), { ...s, relations: [bad] });
    expect(out.state.unitStatus.status).toBe("blocked");
    expect(out.state.unitStatus.message).toContain("apt-proxy relation: ubuntu/0 published address");
    expect(h.read(SQUID)).toBe(before);
    expect(h.commands().filter((c) => c[0] === "systemctl" && /restart|reload/.test(c[1]!))).toEqual([]);
  });

  it("a database provider's malformed endpoints leave the working database URL in place", async () => {
    const pg = secret({ owner: "remote", contents: { username: "relation-7", password: "pw" } });
    const rel = relation({ endpoint: "database", remoteApp: "postgresql", remoteAppData: { endpoints: "10.0.0.9:5432", database: "orchestra", "secret-user": pg.id } });
    const s: State = (await h.ctx.run(h.ctx.on.relationChanged(rel), configured({ leader: true, config: { components: "" }, relations: [rel], secrets: [pg] }))).state;
    const before = h.read("/etc/orchestra/orchestra.env");
    expect(before).toContain("ORCHESTRA_DATABASE_URL");
    const bad = { ...rel, remoteAppData: { ...rel.remoteAppData, endpoints: "not a host;rm -rf /" } };
    const out = await h.ctx.run(h.ctx.on.relationChanged(bad), { ...s, relations: [bad] });
    expect(out.state.unitStatus.message).toContain("postgresql published malformed endpoints");
    expect(h.read("/etc/orchestra/orchestra.env")).toBe(before);
  });
});

describe("the provisioning binding", () => {
  it("must be on provisioning-interface: a mismatch blocks with both names and writes nothing", async () => {
    const out = await h.ctx.run(h.ctx.on.install(), configured({ leader: true, config: { components: "dnsmasq" }, networks: { provisioning: bindingOn("eth0") } }));
    expect(out.state.unitStatus).toEqual({
      status: "blocked",
      message: "the provisioning binding is on eth0, not provisioning-interface eth1: bind it to that network (juju bind orchestra provisioning=<space>) or fix provisioning-interface",
    });
    expect(h.exists("/etc/dnsmasq.d/orchestra.conf")).toBe(false);
  });
});
