/**
 * The charm installed for real on this Debian machine: only the hook tools are fakes. Real
 * apt-get installs rsyslog and rsyslog-gnutls, real files land in /etc and /var/lib/orchestra,
 * the real orchestra service starts (under systemd, or as a pid-file process where there is
 * none, as in this container), and the test talks to what it started over loopback.
 * Everything listens on 127.0.0.1; the stop hook and the cleanup below undo the rest.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { connect } from "node:tls";
import { execa } from "execa";
import { Context, findSecret, getRelation, relation, state, type State } from "../../lib/testing/index.ts";
import { charmBundle, freePort, repoRoot } from "../charm/charm-harness.ts";

const CREATED = ["/etc/orchestra", "/etc/systemd/system/orchestra.service", "/etc/rsyslog.d/60-orchestra.conf", "/var/lib/orchestra", "/var/log/orchestra", "/run/orchestra"];

let ctx: Context;
let existedBefore: string[];
let base: State;
let installed: State | undefined;
let bootPort: number;
let apiPort: number;

/** The State after the install hooks; a test after a failed install says so. */
function unit(): State {
  if (installed === undefined) throw new Error("the install hooks did not complete");
  return installed;
}

beforeAll(async () => {
  existedBefore = CREATED.filter((p) => existsSync(p));
  ctx = new Context({ charmDir: repoRoot, command: [process.execPath, charmBundle], timeoutMs: 15 * 60_000 });
  bootPort = await freePort();
  apiPort = await freePort();
  base = state({
    leader: true,
    config: { components: "rsyslog", "dhcp-mode": "off", "listen-address": "127.0.0.1", "boot-port": bootPort, "ec2-port": apiPort },
  });
  let s = base;
  for (const event of [ctx.on.install(), ctx.on.configChanged(), ctx.on.start()]) s = (await ctx.run(event, s)).state;
  installed = s;
}, 20 * 60_000);

afterAll(async () => {
  // The stop hook stops what the charm started, by pid, even when the install went wrong half way.
  if (ctx) await ctx.runUnchecked(ctx.on.stop(), installed ?? base);
  for (const path of CREATED) if (!existedBefore.includes(path)) rmSync(path, { recursive: true, force: true });
}, 5 * 60_000);

describe("the charm installed for real", () => {
  it("goes active with its packages installed by apt and its files written", async () => {
    expect(unit().unitStatus).toEqual({ status: "active", message: "" });
    for (const pkg of ["rsyslog", "rsyslog-gnutls"]) {
      const { stdout } = await execa("dpkg-query", ["--show", "--showformat=${db:Status-Status}", pkg]);
      expect(stdout).toBe("installed");
    }
    expect(readFileSync("/etc/rsyslog.d/60-orchestra.conf", "utf8")).toContain('input(type="imtcp" address="127.0.0.1" port="6514"');
    expect(readFileSync("/etc/orchestra/orchestra.env", "utf8")).toContain('ORCHESTRA_DATA_DIR="/var/lib/orchestra"');
    // rsyslogd accepts what the charm wrote.
    await execa("rsyslogd", ["-N1"]);
  });

  it("rsyslog answers TLS on 6514 with a certificate from the charm's CA", async () => {
    // The site CA (lib/pki) that signed the syslog server's certificate.
    const ca = readFileSync("/var/lib/orchestra/pki/ca.pem");
    const authorized = await retryFor(60_000, () => new Promise<boolean>((resolve, reject) => {
      // The certificate names the unit's ingress address (the fake network-get's), not 127.0.0.1.
      const socket = connect({ host: "127.0.0.1", port: 6514, ca, checkServerIdentity: () => undefined }, () => {
        resolve(socket.authorized);
        socket.end();
      });
      socket.on("error", reject);
    }));
    expect(authorized).toBe(true);
  });

  it("the orchestra service it started answers on its boot port", async () => {
    const response = await untilListening(`http://127.0.0.1:${bootPort}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ok" });
  });

  it("update-status reads the real inventory through the real CLI", async () => {
    const out = await ctx.run(ctx.on.updateStatus(), unit());
    expect(out.state.unitStatus).toEqual({ status: "active", message: "no machines yet" });
  });

  it("enlist-machine then list-machines go through the real CLI and store", async () => {
    const enlisted = await ctx.run(ctx.on.action("enlist-machine", { mac: "52:54:00:aa:bb:01", "power-type": "manual", hostname: "real-install-1" }), unit());
    expect(enlisted.actionFailure).toBeUndefined();
    expect(enlisted.actionResults).toMatchObject({ hostname: "real-install-1", status: "new" });
    const listed = await ctx.run(ctx.on.action("list-machines", {}), unit());
    expect(listed.actionResults.count).toBe("1");
  });

  it("the EC2 endpoint it started answers a signed call made with a credential from the action", async () => {
    const created = await ctx.run(ctx.on.action("create-credentials", { account: "e2e" }), unit());
    expect(created.actionFailure).toBeUndefined();
    const regions = await describeRegions(String(created.actionResults["access-key-id"]), String(created.actionResults["secret-access-key"]));
    expect(regions).toContain("orchestra");
  });

  it("an ec2-api relation gets a working credential as a Juju secret; broken revokes it", async () => {
    const rel = relation({ endpoint: "ec2-api", remoteApp: "juju-controller" });
    const joined = await ctx.run(ctx.on.relationJoined(rel), { ...unit(), relations: [rel] });
    const data = getRelation(joined.state, rel).localAppData;
    expect(data.endpoint).toBe(`http://192.0.2.0:${apiPort}/`);
    const secret = findSecret(joined.state, data["credential-secret-id"]!)!;
    const keyId = secret.contents["access-key-id"]!;
    expect(await describeRegions(keyId, secret.contents["secret-access-key"]!)).toContain("orchestra");
    const broken = await ctx.run(ctx.on.relationBroken(rel), joined.state);
    expect(findSecret(broken.state, secret.id)).toBeUndefined();
    await expect(describeRegions(keyId, secret.contents["secret-access-key"]!)).rejects.toMatchObject({ name: "AuthFailure" });
  });
});

/**
 * Fetches `url` once the service is listening: the start hook returns as soon as the
 * process runs, and a loaded machine may take seconds more to open the port.
 */
async function untilListening(url: string): Promise<Response> {
  return await retryFor(60_000, () => fetch(url));
}

/** Retries `attempt` until it resolves or `timeoutMs` has passed (then its last error). */
async function retryFor<T>(timeoutMs: number, attempt: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

/** DescribeRegions against the unit's EC2 endpoint, signed with the given key. */
async function describeRegions(accessKeyId: string, secretAccessKey: string): Promise<string[]> {
  await untilListening(`http://127.0.0.1:${apiPort}/`);
  const { EC2Client, DescribeRegionsCommand } = await import("@aws-sdk/client-ec2");
  const client = new EC2Client({ endpoint: `http://127.0.0.1:${apiPort}`, region: "orchestra", credentials: { accessKeyId, secretAccessKey }, maxAttempts: 1 });
  const regions = await client.send(new DescribeRegionsCommand({}));
  return (regions.Regions ?? []).map((r) => r.RegionName ?? "");
}
