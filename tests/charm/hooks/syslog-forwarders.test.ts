/**
 * The syslog endpoint against what real counterparts send: rsyslog-forwarder-ha reads only
 * our private-address and sends plain syslog to 514; TLS clients say protocol=tcp+tls.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { relation, type State } from "../../../lib/testing/index.ts";
import { charmHarness, configured, type CharmHarness } from "../charm-harness.ts";

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
    expect(conf).toContain('input(type="imtcp" port="514" ruleset="orchestra-remote" StreamDriver.Name="ptcp" StreamDriver.Mode="0")');
    expect(joined.state.openedPorts).toEqual(expect.arrayContaining(["514/tcp", "514/udp", "6514/tcp"]));

    const rooted = conf.replaceAll('"/var/', `"${h.root}/var/`);
    writeFileSync(join(h.root, "rsyslog-check.conf"), rooted);
    const check = await execa("rsyslogd", ["-N1", "-f", join(h.root, "rsyslog-check.conf")], { reject: false });
    expect(check.exitCode, `${check.stdout}\n${check.stderr}`).toBe(0);

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
