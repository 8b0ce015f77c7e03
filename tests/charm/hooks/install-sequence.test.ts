import { describe, expect, it } from "vitest";
import { type Output, type State } from "../../../lib/testing/index.ts";
import { charmHarness, configured, type CharmHarness } from "../charm-harness.ts";


const ALL_PORTS = ["8773/tcp", "5248/tcp", "67/udp", "69/udp", "4011/udp", "8000/tcp", "6514/tcp", "8140/tcp", "80/tcp"];

/** Juju's install phase for a leader: install, leader-elected, config-changed, start. */
async function installSequence(h: CharmHarness, input: State): Promise<Output[]> {
  const outs: Output[] = [];
  let s = input;
  for (const event of [h.ctx.on.install(), h.ctx.on.leaderElected(), h.ctx.on.configChanged(), h.ctx.on.start()]) {
    const out = await h.ctx.run(event, s);
    outs.push(out);
    s = out.state;
  }
  return outs;
}

/** Runs a test body on a fresh unit of its own (so the tests can run concurrently). */
function onFreshUnit(body: (h: CharmHarness) => Promise<void>): () => Promise<void> {
  return async () => {
    const h = charmHarness();
    try {
      await body(h);
    } finally {
      h.cleanup();
    }
  };
}

describe.concurrent("the install sequence", () => {
  it("installs, configures and starts every component, opens its ports and goes active", onFreshUnit(async (h) => {
    const outs = await installSequence(h, configured({ leader: true }));
    const last = outs.at(-1)!.state;
    expect(outs[0]!.unitStatusHistory[0]).toEqual({ status: "maintenance", message: "installing Orchestra" });
    expect(last.unitStatus).toEqual({ status: "active", message: "" });
    expect(last.workloadVersion).toBe("0.1.0");
    expect([...last.openedPorts].sort()).toEqual([...ALL_PORTS].sort());

    const installs = h.commands().filter((c) => c[0] === "apt-get" && c[1] === "install");
    expect(installs.flatMap((c) => c.slice(6)).sort()).toEqual(["dnsmasq", "ipxe", "libnginx-mod-http-dav-ext", "nginx", "puppetserver", "rsyslog", "rsyslog-gnutls", "squid"]);
    expect(h.commands().filter((c) => c[0] === "apt-get" && c[1] === "update")).toHaveLength(1);
    for (const service of ["orchestra", "dnsmasq", "squid", "rsyslog", "puppetserver", "nginx"]) expect(h.running(service)).toBe(true);

    expect(h.read("/etc/dnsmasq.d/orchestra.conf")).toContain("interface=eth1\n");
    expect(h.read("/etc/dnsmasq.d/orchestra.conf")).toContain("dhcp-range=10.10.0.0,proxy\n");
    expect(h.read("/etc/dnsmasq.d/orchestra.conf")).toContain("http://192.0.2.0:5248/boot.ipxe");
    expect(h.read("/etc/squid/conf.d/orchestra.conf")).toContain("acl orchestra_clients src 10.10.0.0/24");
    expect(h.read("/etc/rsyslog.d/60-orchestra.conf")).toContain('input(type="imtcp" port="6514"');
    expect(h.read("/var/lib/orchestra/pki/ca.pem")).toMatch(/^-----BEGIN CERTIFICATE-----/);
    expect(h.read("/etc/nginx/conf.d/orchestra.conf")).toContain("dav_methods PUT DELETE MKCOL COPY MOVE;");
    expect(h.read("/etc/puppet/puppet.conf")).toContain("autosign = /etc/puppet/orchestra-autosign\n");
    expect(h.read("/etc/puppet/orchestra-autosign")).toMatch(/autosign' '--url' 'http:\/\/127\.0\.0\.1:5248' "\$1"\n$/);
    const unit = h.read("/etc/systemd/system/orchestra.service");
    expect(unit).toMatch(/ExecStart=\S+ --max-semi-space-size=1 \S+\/lib\/cli\/main\.ts --data-dir \S+\/var\/lib\/orchestra serve --boot-listen 0\.0\.0\.0:5248 --log-level info/);
    // The flags come from the real `orchestra serve --help`: the EC2 API, nginx's images, and
    // managed nodes pointed at this unit's apt proxy (squid), TLS syslog and puppet server.
    expect(unit).toMatch(/ --api-listen 0\.0\.0\.0:8773 --region orchestra --api-vpc-cidr 10\.10\.0\.0\/24 --image-base-url http:\/\/192\.0\.2\.0\/images --node-apt-proxy http:\/\/192\.0\.2\.0:8000 --node-syslog 192\.0\.2\.0:6514 --node-puppet-server 192\.0\.2\.0\n/);
    expect(h.read("/etc/orchestra/orchestra.env")).toContain('ORCHESTRA_REGION="orchestra"');
  }));

  it("is idempotent: the sequence run again installs, rewrites and restarts nothing", onFreshUnit(async (h) => {
    const first = await installSequence(h, configured({ leader: true }));
    const files = ["/etc/dnsmasq.d/orchestra.conf", "/etc/orchestra/orchestra.env", "/var/lib/orchestra/tls/syslog.pem"].map((f) => h.read(f));
    h.clearCommands();
    const second = await installSequence(h, first.at(-1)!.state);
    expect(second.at(-1)!.state).toEqual(first.at(-1)!.state);
    expect(["/etc/dnsmasq.d/orchestra.conf", "/etc/orchestra/orchestra.env", "/var/lib/orchestra/tls/syslog.pem"].map((f) => h.read(f))).toEqual(files);
    const changing = h.commands().filter((c) => c[0] === "apt-get" || c[1] === "restart" || c[1] === "reload-or-restart" || c[1] === "daemon-reload");
    expect(changing).toEqual([]);
  }));

  it("with components empty installs only the orchestra service", onFreshUnit(async (h) => {
    const outs = await installSequence(h, configured({ leader: true, config: { components: "" } }));
    expect(outs.at(-1)!.state.unitStatus.status).toBe("active");
    expect(outs.at(-1)!.state.openedPorts).toEqual(["8773/tcp", "5248/tcp"]);
    expect(h.commands().filter((c) => c[0] === "apt-get")).toEqual([]);
    expect(h.running("orchestra")).toBe(true);
    expect(h.exists("/etc/dnsmasq.d/orchestra.conf")).toBe(false);
  }));
});
