/**
 * Two units of one application: what each hook sees of the other goes through Juju (the
 * application secrets the leader makes), so the follower's State is given the leader's secrets.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { secretBox } from "../../../lib/ec2/credentials/secret-box.ts";
import { createSiteCa } from "../../../lib/pki/site-ca.ts";
import type { State } from "../../../lib/testing/index.ts";
import { charmHarness, configured, type CharmHarness } from "../charm-harness.ts";

let leader: CharmHarness;
let follower: CharmHarness;
beforeEach(() => {
  leader = charmHarness({ unitId: 0 });
  follower = charmHarness({ unitId: 1 });
});
afterEach(() => {
  leader.cleanup();
  follower.cleanup();
});

const KEY = "/var/lib/orchestra/credentials.key";

/** The follower's State with the application secrets the leader made (and its leader settings). */
function shared(from: State, into: State): State {
  return { ...into, secrets: from.secrets, leaderData: from.leaderData };
}

describe("two units on one inventory", () => {
  it("share the EC2 sealing key: a secret sealed on one unit opens on the other", async () => {
    // The follower came up first and made a key of its own.
    const early = await follower.ctx.run(follower.ctx.on.install(), configured({ leader: false, config: { components: "" } }));
    expect(early.state.unitStatus.message).toContain("waiting for the leader to share the EC2 sealing key");
    const own = readFileSync(join(follower.root, KEY));

    const lead = await leader.ctx.run(leader.ctx.on.install(), configured({ leader: true, config: { components: "" } }));
    const key = readFileSync(join(leader.root, KEY));
    expect(lead.state.secrets.find((s) => s.label === "ec2-sealing-key")?.owner).toBe("application");

    follower.clearCommands();
    const later = await follower.ctx.run(follower.ctx.on.leaderSettingsChanged(), shared(lead.state, early.state));
    expect(later.state.unitStatus.status).toBe("active");
    const adopted = readFileSync(join(follower.root, KEY));
    expect(adopted.equals(key)).toBe(true);
    expect(adopted.equals(own)).toBe(false);
    // The service restarts to seal and open with the shared key.
    expect(follower.commands()).toContainEqual(["systemctl", "restart", "orchestra"]);

    const sealed = secretBox(key).seal("wJalrXUtnFEMI/K7MDENG", "AKIAORCHESTRA00000001");
    expect(secretBox(adopted).open(sealed, "AKIAORCHESTRA00000001")).toBe("wJalrXUtnFEMI/K7MDENG");
  });

  it("share one site CA: the follower writes the leader's CA (key 0600), so node certificates from either unit are trusted by both", async () => {
    const early = await follower.ctx.run(follower.ctx.on.install(), configured({ leader: false, config: { components: "" } }));
    expect(early.state.unitStatus.message).toContain("waiting for the leader to share the site CA");
    const lead = await leader.ctx.run(leader.ctx.on.install(), configured({ leader: true, config: { components: "" } }));
    expect(lead.state.secrets.find((s) => s.label === "site-ca")?.owner).toBe("application");
    await follower.ctx.run(follower.ctx.on.leaderSettingsChanged(), shared(lead.state, early.state));
    expect(follower.read("/var/lib/orchestra/pki/ca.pem")).toBe(leader.read("/var/lib/orchestra/pki/ca.pem"));
    expect(follower.read("/var/lib/orchestra/pki/ca.key")).toBe(leader.read("/var/lib/orchestra/pki/ca.key"));
    expect(statSync(join(follower.root, "/var/lib/orchestra/pki/ca.key")).mode & 0o777).toBe(0o600);
  });

  it("restart the orchestra service when the follower adopts the leader's site CA, so it signs node certificates with it", async () => {
    const lead = await leader.ctx.run(leader.ctx.on.install(), configured({ leader: true, config: { components: "" } }));
    // The follower already has the sealing key, so only the CA can cause a restart below.
    const keyOnly = { ...lead.state, secrets: lead.state.secrets.filter((s) => s.label === "ec2-sealing-key") };
    const early = await follower.ctx.run(follower.ctx.on.install(), shared(keyOnly, configured({ leader: false, config: { components: "" } })));
    expect(early.state.unitStatus.message).toContain("waiting for the leader to share the site CA");
    // `serve` made a CA of its own at its first start (loadOrCreateSiteCa), as a real service would.
    const own = createSiteCa("Orchestra CA");
    mkdirSync(join(follower.root, "/var/lib/orchestra/pki"), { recursive: true });
    writeFileSync(join(follower.root, "/var/lib/orchestra/pki/ca.key"), own.keyPem, { mode: 0o600 });
    writeFileSync(join(follower.root, "/var/lib/orchestra/pki/ca.pem"), own.certPem);
    follower.clearCommands();
    const later = await follower.ctx.run(follower.ctx.on.leaderSettingsChanged(), shared(lead.state, early.state));
    expect(later.state.unitStatus.status).toBe("active");
    expect(follower.read("/var/lib/orchestra/pki/ca.pem")).toBe(leader.read("/var/lib/orchestra/pki/ca.pem"));
    expect(follower.commands()).toContainEqual(["systemctl", "restart", "orchestra"]);
    // Adopted once: the next hook restarts nothing.
    follower.clearCommands();
    await follower.ctx.run(follower.ctx.on.updateStatus(), later.state);
    expect(follower.commands()).not.toContainEqual(["systemctl", "restart", "orchestra"]);
  });

  it("run DHCP in full mode on the leader only", async () => {
    const config = { components: "dnsmasq", "dhcp-mode": "full", "dhcp-range": "10.10.0.100,10.10.0.200" };
    const lead = await leader.ctx.run(leader.ctx.on.install(), configured({ leader: true, config }));
    const other = await follower.ctx.run(follower.ctx.on.install(), shared(lead.state, configured({ leader: false, config })));
    expect(leader.read("/etc/dnsmasq.d/orchestra.conf")).toContain("dhcp-range=10.10.0.100,10.10.0.200,12h\n");
    const followerConf = follower.read("/etc/dnsmasq.d/orchestra.conf");
    expect(followerConf).not.toContain("dhcp-range");
    expect(followerConf).toContain("enable-tftp\n");
    expect(other.state.unitStatus).toEqual({ status: "active", message: "DHCP (full mode) runs on the leader; this unit serves TFTP" });
    expect(other.state.openedPorts).toContain("69/udp");
    expect(other.state.openedPorts).not.toContain("67/udp");
    expect(lead.state.openedPorts).toContain("67/udp");

    // Leadership moves: the new leader takes DHCP over.
    await follower.ctx.run(follower.ctx.on.leaderElected(), { ...other.state, leader: true });
    expect(follower.read("/etc/dnsmasq.d/orchestra.conf")).toContain("dhcp-range=10.10.0.100,10.10.0.200,12h\n");
  });
});
