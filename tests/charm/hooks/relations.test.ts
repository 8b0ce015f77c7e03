import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getRelation, findSecret, relation, peerRelation, secret, type Relation, type State } from "../../../lib/testing/index.ts";
import { charmHarness, configured, type CharmHarness } from "../charm-harness.ts";

let h: CharmHarness;
let installed: State;
// One installed unit for the whole file: each test starts from its State, the files and
// fakes carry over as they would on a unit that lives through many hooks.
beforeAll(async () => {
  h = charmHarness();
  installed = (await h.ctx.run(h.ctx.on.install(), configured({ leader: true }))).state;
});
afterAll(() => h.cleanup());

const ENDPOINTS: Array<[string, () => Relation]> = [
  ["ec2-api", () => relation({ endpoint: "ec2-api", remoteApp: "juju-controller" })],
  ["apt-proxy", () => relation({ endpoint: "apt-proxy", remoteApp: "ubuntu" })],
  ["syslog", () => relation({ endpoint: "syslog", remoteApp: "rsyslog-forwarder" })],
  ["puppet", () => relation({ endpoint: "puppet", remoteApp: "puppet-agent" })],
  ["webdav-storage", () => relation({ endpoint: "webdav-storage", remoteApp: "ensemble" })],
  ["metrics-endpoint", () => relation({ endpoint: "metrics-endpoint", remoteApp: "prometheus" })],
  ["database", () => relation({ endpoint: "database", remoteApp: "postgresql" })],
  ["cluster", () => peerRelation({ endpoint: "cluster" })],
];

// Concurrent: each sequence has its own State; the hooks only rewrite the same files with
// the same content, so they can overlap on the one unit.
describe.concurrent.each(ENDPOINTS)("the %s relation's lifecycle", (endpoint, make) => {
  it("created, joined, changed, departed and broken each end in a settled status", async () => {
    const rel = make();
    let s: State = { ...installed, relations: [rel] };
    const events = [
      h.ctx.on.relationCreated(rel),
      h.ctx.on.relationJoined(rel),
      h.ctx.on.relationChanged(rel),
      h.ctx.on.relationDeparted(rel),
      h.ctx.on.relationBroken(rel),
    ];
    for (const event of events) {
      const out = await h.ctx.run(event, s);
      expect(["active", "waiting", "blocked"]).toContain(out.state.unitStatus.status);
      expect(out.logs.filter((l) => l.level === "ERROR")).toEqual([]);
      s = out.state;
    }
    expect(endpoint).toBe(rel.endpoint);
  });
});

describe("ec2-api", () => {
  it("publishes the endpoint and region, and the leader grants a credential secret once", async () => {
    const rel = relation({ endpoint: "ec2-api", remoteApp: "juju-controller" });
    h.clearCommands();
    const joined = await h.ctx.run(h.ctx.on.relationJoined(rel), { ...installed, relations: [rel] });
    const out = getRelation(joined.state, rel);
    expect(out.localUnitData).toMatchObject({ endpoint: "http://192.0.2.0:8773/", region: "orchestra" });
    const secretId = out.localAppData["credential-secret-id"]!;
    expect(out.localAppData).toMatchObject({ endpoint: "http://192.0.2.0:8773/", region: "orchestra" });
    const cred = findSecret(joined.state, secretId)!;
    expect(cred.contents).toEqual({ "access-key-id": "AKIAORCHESTRA00000002", "secret-access-key": "secret-2", relation: `ec2-api:${rel.id}` });
    expect(cred.grants).toEqual({ [String(rel.id)]: ["*"] });
    // (Every hook also reads `machines list` for rsyslog's permitted peers: only credential calls count here.)
    expect(h.commands().filter((c) => c[0] === "orchestra" && c[3] === "credentials")).toEqual([["orchestra", "--data-dir", `${h.root}/var/lib/orchestra`, "credentials", "create", "--account", "juju-controller", "--json"]]);

    const changed = await h.ctx.run(h.ctx.on.relationChanged(rel), joined.state);
    expect(changed.state.secrets).toEqual(joined.state.secrets);
    expect(getRelation(changed.state, rel).localAppData).toEqual(out.localAppData);
    expect(h.commands().filter((c) => c[3] === "credentials" && c[4] === "create")).toHaveLength(1);

    h.clearCommands();
    const broken = await h.ctx.run(h.ctx.on.relationBroken(rel), changed.state);
    expect(findSecret(broken.state, secretId)).toBeUndefined();
    expect(h.commands().filter((c) => c[0] === "orchestra" && c[3] === "credentials").map((c) => c.slice(3))).toEqual([["credentials", "revoke", "AKIAORCHESTRA00000002", "--json"]]);
  });

  it("a non-leader publishes only its unit data", async () => {
    const rel = relation({ endpoint: "ec2-api", remoteApp: "juju-controller" });
    const out = await h.ctx.run(h.ctx.on.relationJoined(rel), { ...installed, leader: false, relations: [rel] });
    expect(getRelation(out.state, rel).localAppData).toEqual({});
    expect(getRelation(out.state, rel).localUnitData.endpoint).toBe("http://192.0.2.0:8773/");
    expect(out.state.secrets.filter((x) => x.label?.startsWith("ec2-credential-"))).toEqual([]);
  });

  it("when orchestra cannot issue a key the unit waits, and retries on the next hook", async () => {
    const rel = relation({ endpoint: "ec2-api", remoteApp: "aws-cli" });
    h.flag("orchestra-fail");
    const out = await h.ctx.run(h.ctx.on.relationJoined(rel), { ...installed, relations: [rel] });
    h.flag("orchestra-fail", false);
    expect(out.state.unitStatus.status).toBe("waiting");
    expect(out.state.unitStatus.message).toContain("cannot issue an EC2 credential for aws-cli");
    expect(out.state.secrets.filter((x) => x.label?.startsWith("ec2-credential-"))).toEqual([]);
    const retried = await h.ctx.run(h.ctx.on.updateStatus(), out.state);
    expect(retried.state.unitStatus.status).toBe("active");
    expect(getRelation(retried.state, rel).localAppData["credential-secret-id"]).toMatch(/^secret:/);
  });
});

describe("publish-only endpoints", () => {
  it.each([
    ["apt-proxy", { url: "http://192.0.2.0:8000", host: "192.0.2.0", port: "8000" }],
    ["puppet", { host: "192.0.2.0", port: "8140", "server-name": "192.0.2.0" }],
    ["webdav-storage", { "storage-url": "http://192.0.2.0:80/webdav/", host: "192.0.2.0", port: "80" }],
  ])("%s publishes where its service is", async (endpoint, data) => {
    const rel = relation({ endpoint });
    const out = await h.ctx.run(h.ctx.on.relationJoined(rel), { ...installed, relations: [rel] });
    expect(getRelation(out.state, rel).localUnitData).toMatchObject(data);
  });

  it("syslog publishes the TLS port and the CA that signed the server certificate", async () => {
    const rel = relation({ endpoint: "syslog" });
    const out = await h.ctx.run(h.ctx.on.relationJoined(rel), { ...installed, relations: [rel] });
    const data = getRelation(out.state, rel).localUnitData;
    expect(data).toMatchObject({ host: "192.0.2.0", port: "6514", protocol: "tcp+tls" });
    expect(data["ca-cert"]).toBe(h.read("/var/lib/orchestra/pki/ca.pem"));
  });

  it("apt-proxy without squid publishes nothing and says why", async () => {
    const rel = relation({ endpoint: "apt-proxy" });
    const out = await h.ctx.run(h.ctx.on.relationJoined(rel), { ...installed, config: { ...installed.config, components: "dnsmasq" }, relations: [rel] });
    expect(getRelation(out.state, rel).localUnitData.url).toBeUndefined();
    expect(out.state.unitStatus).toEqual({ status: "active", message: "apt-proxy is related but squid is not in components" });
  });

  it("metrics-endpoint: the leader publishes the scrape job, every unit its address", async () => {
    const rel = relation({ endpoint: "metrics-endpoint", remoteApp: "prometheus" });
    const out = await h.ctx.run(h.ctx.on.relationJoined(rel), { ...installed, relations: [rel] });
    const r = getRelation(out.state, rel);
    expect(JSON.parse(r.localAppData.scrape_jobs!)).toEqual([{ metrics_path: "/metrics", static_configs: [{ targets: ["*:5248"] }] }]);
    expect(JSON.parse(r.localAppData.scrape_metadata!)).toMatchObject({ application: "orchestra", unit: "orchestra/0", charm_name: "orchestra" });
    expect(r.localUnitData).toMatchObject({ prometheus_scrape_unit_address: "192.0.2.0", prometheus_scrape_unit_name: "orchestra/0" });
  });
});

describe("database", () => {
  const pgSecret = secret({ owner: "remote", contents: { username: "relation-7", password: "p@ss word" } });

  it("the leader asks for the database and waits until the provider answers", async () => {
    const rel = relation({ endpoint: "database", remoteApp: "postgresql" });
    const out = await h.ctx.run(h.ctx.on.relationJoined(rel), { ...installed, relations: [rel] });
    expect(getRelation(out.state, rel).localAppData).toEqual({ database: "orchestra", "requested-secrets": "[\"username\",\"password\",\"tls-ca\",\"uris\"]" });
    expect(out.state.unitStatus).toEqual({ status: "waiting", message: "waiting for postgresql to publish database endpoints" });
  });

  it("endpoints and the user secret become the service's database URL; broken takes it away", async () => {
    const rel = relation({ endpoint: "database", remoteApp: "postgresql", remoteAppData: { endpoints: "10.0.0.9:5432,10.0.0.10:5432", database: "orchestra", "secret-user": pgSecret.id } });
    h.clearCommands();
    const out = await h.ctx.run(h.ctx.on.relationChanged(rel), { ...installed, relations: [rel], secrets: [pgSecret] });
    expect(out.state.unitStatus).toEqual({ status: "active", message: "" });
    expect(h.read("/etc/orchestra/orchestra.env")).toContain('ORCHESTRA_DATABASE_URL="postgresql://relation-7:p%40ss%20word@10.0.0.9:5432/orchestra"');
    expect(h.commands().filter((c) => c[1] === "restart")).toEqual([["systemctl", "restart", "orchestra"]]);
    const broken = await h.ctx.run(h.ctx.on.relationBroken(rel), out.state);
    expect(broken.state.unitStatus.status).toBe("active");
    expect(h.read("/etc/orchestra/orchestra.env")).not.toContain("ORCHESTRA_DATABASE_URL");
  });

  it("malformed endpoints block with the reason and leave the service config alone", async () => {
    const before = h.read("/etc/orchestra/orchestra.env");
    const rel = relation({ endpoint: "database", remoteApp: "postgresql", remoteAppData: { endpoints: "not a host;rm -rf /", username: "u", password: "p" } });
    const out = await h.ctx.run(h.ctx.on.relationChanged(rel), { ...installed, relations: [rel] });
    expect(out.state.unitStatus.status).toBe("blocked");
    expect(out.state.unitStatus.message).toContain("postgresql published malformed endpoints");
    expect(h.read("/etc/orchestra/orchestra.env")).toBe(before);
  });
});

describe("cluster", () => {
  it("several units without the database relation are blocked; with it they are active", async () => {
    const peers = peerRelation({ endpoint: "cluster", peersData: { 1: { address: "10.0.0.2" } } });
    const alone = await h.ctx.run(h.ctx.on.relationJoined(peers, { remoteUnit: 1 }), { ...installed, relations: [peers] });
    expect(alone.state.unitStatus).toEqual({ status: "blocked", message: "2 units share one inventory only through PostgreSQL: relate the database endpoint" });
    expect(getRelation(alone.state, peers).localUnitData).toMatchObject({ address: "192.0.2.0", "ec2-endpoint": "http://192.0.2.0:8773/" });

    const db = relation({ endpoint: "database", remoteApp: "postgresql", remoteAppData: { endpoints: "10.0.0.9:5432", username: "u", password: "p" } });
    const withDb = await h.ctx.run(h.ctx.on.relationChanged(db), { ...alone.state, relations: [peers, db] });
    expect(withDb.state.unitStatus).toEqual({ status: "active", message: "" });

    const departed = await h.ctx.run(h.ctx.on.relationDeparted(peers, { departingUnit: 1 }), { ...alone.state, relations: [peers] });
    expect(departed.state.unitStatus).toEqual({ status: "active", message: "" });
  });
});
