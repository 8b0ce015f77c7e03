/**
 * The database relation and two orchestra units on one PostgreSQL, on real units. A third
 * machine runs Debian's PostgreSQL and plays the postgresql charm's side of the
 * data_interfaces protocol: it waits for the requirer's `database` request, makes a user and
 * the database, and answers with `endpoints` plus a `secret-user` secret (username,
 * password) granted to the relation. The orchestra service moves onto it (proven by asking
 * PostgreSQL itself), then a second unit joins: credentials made on either unit open on both,
 * an instance run through one is seen and terminated through the other, DHCP in full mode
 * runs on the leader only, and killing the leader's service or moving leadership keeps the
 * application answering.
 *
 * The test plays the Juju controller between the units: leader settings, application-owned
 * secrets and peer data written by one unit are handed to the others before their next hook.
 * Instances run on `fake` machines (TEST ONLY, labelled as such): this file proves the shared
 * inventory and API, not power control, which the lab tests prove on VMs.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getRelation, peerRelation, relation, secret, state, type CharmEvent, type Relation, type Secret, type State } from "../../lib/testing/index.ts";
import type { CharmUnit, NetworkMember, UnitHarness, UnitMachine } from "../../lib/testing/units/index.ts";
import { packedCharm, retryFor, secondsSince, startHarness } from "./unit-fixture.ts";

const CONFIG = {
  components: "dnsmasq",
  "dhcp-mode": "full",
  "provisioning-interface": "eth1",
  "provisioning-subnet": "192.0.2.0/24",
  "dhcp-range": "192.0.2.100,192.0.2.150",
};
const EC2_PORT = 8773;

let harness: UnitHarness;
let charm: { file: string; remove: () => void };
let units: CharmUnit[];
let states: State[];
let pg: { machine: UnitMachine; address: string };
let client: NetworkMember;
let bootClient: NetworkMember;
let scratch: string;
const timings: string[] = [];

// The controller's view of the model: one peer relation, the database relation, the
// postgresql application's side of it and its secret.
const cluster = peerRelation({ endpoint: "cluster" });
let database: Relation;
let pgUserSecret: Secret;

/** Runs `argv` on the PostgreSQL machine as the postgres user. */
async function psql(sql: string): Promise<string> {
  return (await pg.machine.sh(["runuser", "-u", "postgres", "--", "psql", "-d", "orchestra", "-Atc", sql])).trim();
}

/** Runs the orchestra CLI on a unit with the service's own environment (its database). */
async function orchestraCli(unit: CharmUnit, argv: readonly string[]): Promise<string> {
  return await unit.machine.sh(["sh", "-c", 'set -a; . /etc/orchestra/orchestra.env; exec /opt/orchestra/bin/node /opt/orchestra/orchestra.js "$@"', "sh", ...argv]);
}

/** Runs `argv` in a client namespace; stdout, or throws with everything it printed. */
async function inClient(member: NetworkMember, argv: readonly string[], env?: Record<string, string>): Promise<string> {
  const result = await harness.inClient(member, argv, { env });
  if (result.exitCode !== 0) throw new Error(`${argv.join(" ")} exited ${result.exitCode}: ${String(result.all)}`);
  return String(result.stdout);
}

/** The AWS CLI against one unit's EC2 API with a credential. */
async function ec2(unit: CharmUnit, credential: Credential, args: readonly string[]): Promise<unknown> {
  const env = { AWS_ACCESS_KEY_ID: credential.id, AWS_SECRET_ACCESS_KEY: credential.secret, AWS_EC2_METADATA_DISABLED: "true", AWS_CONFIG_FILE: "/dev/null", AWS_SHARED_CREDENTIALS_FILE: "/dev/null" };
  const out = await inClient(client, ["aws", "ec2", ...args, "--endpoint-url", `http://${unit.address}:${EC2_PORT}`, "--region", "orchestra", "--output", "json"], env);
  return out.trim() === "" ? null : JSON.parse(out);
}

interface Credential {
  id: string;
  secret: string;
}

/**
 * Hands unit `i` what the controller knows that another unit wrote: the leader's settings and
 * application secrets, the peers' unit data, the postgresql side of the database relation.
 */
function modelFor(i: number, leaderIndex: number): State {
  const own = states[i]!;
  const leader = states[leaderIndex]!;
  const peers: Record<number, Record<string, string>> = {};
  states.forEach((s, j) => {
    if (j !== i && s.relations.some((r) => r.id === cluster.id)) peers[j] = getRelation(s, cluster).localUnitData;
  });
  const relations = own.relations.map((r) => {
    if (r.id === cluster.id) return { ...r, remoteUnitsData: peers, localAppData: getRelation(leader, cluster).localAppData };
    if (r.id === database.id) {
      const leaderDb = leader.relations.find((x) => x.id === database.id);
      return { ...r, remoteAppData: database.remoteAppData, remoteUnitsData: database.remoteUnitsData, localAppData: leaderDb?.localAppData ?? r.localAppData };
    }
    return r;
  });
  const appSecrets = leader.secrets.filter((s) => s.owner === "application");
  const unitSecrets = own.secrets.filter((s) => s.owner === "unit");
  const remote = pgUserSecret === undefined ? [] : [pgUserSecret];
  return { ...own, leader: i === leaderIndex, leaderData: { ...leader.leaderData }, relations, secrets: [...appSecrets, ...unitSecrets, ...remote] };
}

/** Runs hooks on unit `i` in order, keeping its State; fails with the hook's stderr. */
async function runHooks(i: number, events: CharmEvent[], input: State = states[i]!): Promise<State> {
  let s = input;
  for (const event of events) {
    const started = Date.now();
    const out = await units[i]!.context.runUnchecked(event, s);
    timings.push(`${units[i]!.context.unitName} ${event.name} ${secondsSince(started)} s`);
    if (out.exitCode !== 0) throw new Error(`${event.name} on unit ${i} exited ${out.exitCode}: ${out.stderr.slice(-1500)}`);
    s = out.state;
  }
  states[i] = s;
  return s;
}

/** The postgresql charm's answer to a request: a user and database, endpoints, a user secret. */
async function answerDatabaseRequest(leaderState: State, grants: Record<string, string[]>): Promise<void> {
  const request = getRelation(leaderState, database).localAppData;
  expect(request.database, "the leader asked for a database").toBe("orchestra");
  const username = `relation-${database.id}`;
  const password = `pw${Math.random().toString(36).slice(2)}`;
  await pg.machine.sh(["runuser", "-u", "postgres", "--", "psql", "-v", "ON_ERROR_STOP=1", "-c", `DROP DATABASE IF EXISTS orchestra`, "-c", `DROP ROLE IF EXISTS "${username}"`,
    "-c", `CREATE ROLE "${username}" WITH LOGIN PASSWORD '${password}'`, "-c", `CREATE DATABASE orchestra OWNER "${username}"`]);
  const version = (await pg.machine.sh(["runuser", "-u", "postgres", "--", "psql", "-Atc", "SHOW server_version"])).trim();
  pgUserSecret = secret({ owner: "remote", contents: { username, password }, grants });
  database = {
    ...database,
    remoteAppData: { endpoints: `${pg.address}:5432`, database: request.database!, "secret-user": pgUserSecret.id, version, data: JSON.stringify(request) },
  };
  states = states.map((s) => (s.relations.some((r) => r.id === database.id) ? { ...s, relations: s.relations.map((r) => (r.id === database.id ? { ...r, remoteAppData: database.remoteAppData } : r)) } : s));
}

async function createCredential(i: number, account: string): Promise<Credential> {
  const out = await units[i]!.context.run(units[i]!.context.on.action("create-credentials", { account }), states[i]!);
  expect(out.actionFailure).toBeUndefined();
  return { id: String(out.actionResults["access-key-id"]), secret: String(out.actionResults["secret-access-key"]) };
}

async function listening(unit: CharmUnit, port: number, proto: "u" | "t"): Promise<boolean> {
  return new RegExp(`:${port}\\s`).test(await unit.machine.sh(["ss", `-Hl${proto}n`]));
}

/** The DHCP server that answers a client on the provisioning network. */
async function dhcpServer(): Promise<string> {
  const leaseFile = join(scratch, `lease-${Date.now()}`);
  const script = join(scratch, "udhcpc.sh");
  writeFileSync(script, `#!/bin/sh\nif [ "$1" = bound ]; then\n  printf '%s\\n' "$serverid" > ${leaseFile}\nfi\n`, { mode: 0o755 });
  await retryFor(60_000, () => inClient(bootClient, ["busybox", "udhcpc", "-f", "-q", "-n", "-t", "5", "-T", "2", "-i", "eth1", "-s", script]));
  return readFileSync(leaseFile, "utf8").trim();
}

beforeAll(async () => {
  let started = Date.now();
  [charm, harness] = await Promise.all([packedCharm(), startHarness()]);
  console.log(`units: harness ready in ${secondsSince(started)} s (repository ${harness.repository.buildSeconds} s to build, 0: cached)`);
  started = Date.now();
  // One after the other: plugging members into the unit network is not safe to run in parallel.
  const u0 = await harness.deployUnit({ charmFile: charm.file, index: 0 });
  const u1 = await harness.deployUnit({ charmFile: charm.file, index: 1 });
  const pgMachine = await harness.addMachine(2, "postgresql-0");
  units = [u0, u1];
  pg = pgMachine;
  client = await harness.addClient("c1", { unitAddress: "198.51.100.100" });
  bootClient = await harness.addClient("boot", { provisioning: true });
  scratch = mkdtempSync(join(tmpdir(), "orchestra-database-test-"));
  console.log(`units: three machines booted in ${secondsSince(started)} s`);

  started = Date.now();
  database = relation({ endpoint: "database", remoteApp: "postgresql", remoteUnitsData: { 0: { "private-address": pg.address, "ingress-address": pg.address, "egress-subnets": `${pg.address}/32` } } });
  states = [
    state({ leader: true, config: CONFIG, networks: u0.networks(), relations: [cluster] }),
    state({ leader: false, config: CONFIG, networks: u1.networks(), relations: [cluster] }),
  ];
  // What a PostgreSQL machine needs to serve other machines: Debian's package, listening on
  // the unit network, password logins from it.
  const installPostgres = async () => {
    await pg.machine.sh(["apt-get", "update"], { timeoutMs: 300_000 });
    await pg.machine.sh(["apt-get", "install", "--yes", "--no-install-recommends", "postgresql"], { timeoutMs: 600_000, env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin", DEBIAN_FRONTEND: "noninteractive" } });
    const version = (await pg.machine.sh(["ls", "/etc/postgresql"])).trim();
    await pg.machine.writeFile(`/etc/postgresql/${version}/main/conf.d/orchestra-test.conf`, "listen_addresses = '*'\n");
    await pg.machine.sh(["sh", "-c", `echo 'host all all 198.51.100.0/24 scram-sha-256' >> /etc/postgresql/${version}/main/pg_hba.conf`]);
    await pg.machine.sh(["systemctl", "restart", "postgresql"]);
    await retryFor(60_000, () => pg.machine.sh(["runuser", "-u", "postgres", "--", "psql", "-Atc", "SELECT 1"]));
  };
  // Unit 0 deploys alone (the leader); unit 1 only installs its packages for now.
  await Promise.all([
    installPostgres(),
    runHooks(0, [u0.context.on.install(), u0.context.on.leaderElected(), u0.context.on.configChanged(), u0.context.on.start()]),
    runHooks(1, [u1.context.on.install()]),
  ]);
  console.log(`units: unit 0 active, unit 1 installed and PostgreSQL up in ${secondsSince(started)} s`);
}, 40 * 60_000);

afterAll(async () => {
  console.log(`units: hook times: ${timings.join("; ")}`);
  await harness?.stop();
  charm?.remove();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
}, 5 * 60_000);

describe("the database relation against a real PostgreSQL", () => {
  it("a user secret not granted to the relation cannot be read: the unit waits and stays on its own store", async () => {
    expect(states[0]!.unitStatus.status).toBe("active");
    const ctx = units[0]!.context;
    states[0] = { ...states[0]!, relations: [...states[0]!.relations, database] };
    await runHooks(0, [ctx.on.relationCreated(database), ctx.on.relationJoined(database, { remoteUnit: 0 })]);
    // Granted to nobody: the postgresql application made it but never ran secret-grant.
    await answerDatabaseRequest(states[0]!, {});
    const s = await runHooks(0, [ctx.on.relationChanged(database, { remoteUnit: 0 })], modelFor(0, 0));
    expect(s.unitStatus.status).toBe("waiting");
    expect(s.unitStatus.message).toContain("cannot read the database secret");
    expect(await units[0]!.machine.readFile("/etc/orchestra/orchestra.env")).not.toContain("ORCHESTRA_DATABASE_URL");
    expect(Number(await psql("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"))).toBe(0);
  }, 10 * 60_000);

  it("moves the orchestra service onto PostgreSQL once the secret is granted: its inventory is then there", async () => {
    const ctx = units[0]!.context;
    pgUserSecret = { ...pgUserSecret, grants: { [String(database.id)]: ["*"] } };
    const started = Date.now();
    const s = await runHooks(0, [ctx.on.secretChanged(pgUserSecret), ctx.on.relationChanged(database, { remoteUnit: 0 })], modelFor(0, 0));
    console.log(`units: moved onto PostgreSQL in ${secondsSince(started)} s`);
    expect(s.unitStatus.status).toBe("active");
    const env = await units[0]!.machine.readFile("/etc/orchestra/orchestra.env");
    expect(env).toContain(`ORCHESTRA_DATABASE_URL="postgresql://relation-${database.id}:`);
    expect(env).toContain(`@${pg.address}:5432/orchestra"`);
    const enlisted = await units[0]!.context.run(ctx.on.action("enlist-machine", { mac: "52:54:00:db:00:01", "power-type": "manual", hostname: "in-postgres" }), s);
    expect(enlisted.actionFailure).toBeUndefined();
    // Asked of PostgreSQL itself, as its own superuser: the machine is a row there.
    expect(await psql("SELECT hostname FROM machines")).toBe("in-postgres");
    expect(Number(await psql("SELECT count(*) FROM schema_migrations"))).toBeGreaterThan(0);
    expect(await psql("SELECT tableowner FROM pg_tables WHERE tablename = 'machines'")).toBe(`relation-${database.id}`);
    // The service answers from it over its API too.
    await retryFor(60_000, () => inClient(client, ["curl", "-sSf", "-o", "/dev/null", `http://${units[0]!.address}:5248/boot.ipxe`]));
  }, 10 * 60_000);
});

describe("two orchestra units on one PostgreSQL", () => {
  let fromLeader: Credential;
  let fromFollower: Credential;

  it("the second unit joins: the leader's sealing key, the database, active", async () => {
    const [u0, u1] = units as [CharmUnit, CharmUnit];
    states[1] = { ...states[1]!, relations: [...states[1]!.relations, database] };
    // Each unit hears of the other (peer data from before the join is what each published).
    await runHooks(1, [u1.context.on.relationJoined(cluster, { remoteUnit: 0 }), u1.context.on.leaderSettingsChanged(), u1.context.on.configChanged(), u1.context.on.start()], modelFor(1, 0));
    await runHooks(0, [u0.context.on.relationJoined(cluster, { remoteUnit: 1 }), u0.context.on.relationChanged(cluster, { remoteUnit: 1 })], modelFor(0, 0));
    await runHooks(1, [u1.context.on.relationChanged(cluster, { remoteUnit: 0 })], modelFor(1, 0));
    expect(states.map((s) => s.unitStatus.status)).toEqual(["active", "active"]);
    const keys = await Promise.all(units.map((u) => u.machine.sh(["sha256sum", "/var/lib/orchestra/credentials.key"])));
    expect(keys[1]!.split(" ")[0]).toBe(keys[0]!.split(" ")[0]);
    const urls = await Promise.all(units.map(async (u) => /ORCHESTRA_DATABASE_URL="([^"]+)"/.exec(await u.machine.readFile("/etc/orchestra/orchestra.env"))?.[1]));
    expect(urls[1]).toBeDefined();
    expect(urls[1]).toBe(urls[0]);
    expect(await orchestraCli(u1, ["machines", "list", "--json"])).toContain("in-postgres");
  }, 10 * 60_000);

  it("a credential made on either unit works on both", async () => {
    fromLeader = await createCredential(0, "ha-leader");
    fromFollower = await createCredential(1, "ha-follower");
    for (const credential of [fromLeader, fromFollower]) {
      for (const unit of units) {
        const answer = await retryFor(60_000, () => ec2(unit, credential, ["describe-regions"])) as { Regions: Array<{ RegionName: string }> };
        expect(answer.Regions.map((r) => r.RegionName)).toContain("orchestra");
      }
    }
    const wrong = await harness.inClient(client, ["aws", "ec2", "describe-regions", "--endpoint-url", `http://${units[1]!.address}:${EC2_PORT}`, "--region", "orchestra"], {
      env: { AWS_ACCESS_KEY_ID: fromLeader.id, AWS_SECRET_ACCESS_KEY: "wrong", AWS_EC2_METADATA_DISABLED: "true", AWS_CONFIG_FILE: "/dev/null", AWS_SHARED_CREDENTIALS_FILE: "/dev/null" },
    });
    expect(wrong.exitCode).not.toBe(0);
  }, 10 * 60_000);

  it("an instance run through one unit is seen and terminated through the other", async () => {
    for (const n of [1, 2]) {
      await orchestraCli(units[0]!, ["machines", "add", "--hostname", `ha-${n}`, "--mac", `52:54:00:00:0a:0${n}`, "--cpus", "2", "--memory-mib", "4096", "--disk-gib", "20", "--power-type", "fake"]);
      await orchestraCli(units[0]!, ["machines", "accept", `ha-${n}`]);
    }
    await retryFor(120_000, async () => {
      const listed = JSON.parse(await orchestraCli(units[1]!, ["machines", "list", "--json"])) as Array<{ hostname: string; status: string }>;
      const ready = listed.filter((m) => m.hostname.startsWith("ha-") && m.status === "ready").length;
      if (ready !== 2) throw new Error(`${ready} of 2 fake machines ready: ${JSON.stringify(listed)}`);
    }, 1000);
    const images = await ec2(units[0]!, fromLeader, ["describe-images"]) as { Images: Array<{ ImageId: string; Name: string }> };
    const image = images.Images.find((i) => /noble.*amd64/.test(i.Name))!.ImageId;
    const ran = await ec2(units[0]!, fromLeader, ["run-instances", "--image-id", image, "--instance-type", "t2.micro", "--count", "1"]) as { Instances: Array<{ InstanceId: string }> };
    const instanceId = ran.Instances[0]!.InstanceId;
    const seen = await retryFor(120_000, async () => {
      const described = await ec2(units[1]!, fromLeader, ["describe-instances", "--instance-ids", instanceId]) as { Reservations: Array<{ Instances: Array<{ State: { Name: string } }> }> };
      const name = described.Reservations[0]!.Instances[0]!.State.Name;
      if (name !== "running") throw new Error(`instance ${instanceId} is ${name}`);
      return name;
    }, 1000);
    expect(seen).toBe("running");
    await ec2(units[1]!, fromLeader, ["terminate-instances", "--instance-ids", instanceId]);
    const ended = await retryFor(120_000, async () => {
      const described = await ec2(units[0]!, fromLeader, ["describe-instances", "--instance-ids", instanceId]) as { Reservations: Array<{ Instances: Array<{ State: { Name: string } }> }> };
      const name = described.Reservations[0]?.Instances[0]?.State.Name ?? "gone";
      if (name !== "terminated" && name !== "gone") throw new Error(`instance ${instanceId} is ${name}`);
      return name;
    }, 1000);
    expect(["terminated", "gone"]).toContain(ended);
    expect(await psql(`SELECT count(*) FROM instances WHERE ended_at IS NULL`)).toBe("0");
  }, 10 * 60_000);

  it("DHCP in full mode runs on the leader only; the other unit serves TFTP", async () => {
    expect(await listening(units[0]!, 67, "u")).toBe(true);
    expect(await listening(units[1]!, 67, "u")).toBe(false);
    expect(await listening(units[1]!, 69, "u")).toBe(true);
    expect(await units[1]!.machine.readFile("/etc/dnsmasq.d/orchestra.conf")).not.toContain("dhcp-range");
    expect(await dhcpServer()).toBe(units[0]!.provisioningAddress);
  }, 10 * 60_000);

  it("killing the leader's orchestra service leaves the other unit answering", async () => {
    // SIGKILL to the service's main process (systemctl kill fails inside nspawn), then kept
    // down (systemd would restart it) for as long as the other unit is asked.
    await units[0]!.machine.sh(["sh", "-c", 'kill -KILL "$(systemctl show --property=MainPID --value orchestra)"']);
    await units[0]!.machine.sh(["systemctl", "stop", "orchestra"]);
    const refused = await harness.inClient(client, ["curl", "-sS", "-o", "/dev/null", "--max-time", "5", `http://${units[0]!.address}:${EC2_PORT}/`]);
    expect(refused.exitCode).not.toBe(0);
    for (const credential of [fromLeader, fromFollower]) {
      const answer = await ec2(units[1]!, credential, ["describe-instances"]) as { Reservations: unknown[] };
      expect(Array.isArray(answer.Reservations)).toBe(true);
    }
    expect(await orchestraCli(units[1]!, ["machines", "list", "--json"])).toContain("ha-1");
  }, 10 * 60_000);

  it("leadership moving to the other unit keeps everything working and moves DHCP with it", async () => {
    const [u0, u1] = units as [CharmUnit, CharmUnit];
    await runHooks(1, [u1.context.on.leaderElected()], modelFor(1, 1));
    await runHooks(0, [u0.context.on.leaderSettingsChanged(), u0.context.on.configChanged()], modelFor(0, 1));
    await runHooks(1, [u1.context.on.configChanged()], modelFor(1, 1));
    expect(states.map((s) => s.unitStatus.status)).toEqual(["active", "active"]);
    // The old leader's hooks brought its service back; DHCP is on the new leader alone.
    expect((await u0.machine.exec(["systemctl", "is-active", "orchestra"])).stdout.trim()).toBe("active");
    expect(await listening(u1, 67, "u")).toBe(true);
    expect(await listening(u0, 67, "u")).toBe(false);
    expect(await dhcpServer()).toBe(u1.provisioningAddress);
    // Credentials from before, and one made by the new leader, open on both units.
    const fromNewLeader = await createCredential(1, "ha-new-leader");
    for (const credential of [fromLeader, fromFollower, fromNewLeader]) {
      for (const unit of units) await retryFor(60_000, () => ec2(unit, credential, ["describe-regions"]));
    }
    // An instance through the new leader, terminated through the old one.
    const images = await ec2(u1, fromNewLeader, ["describe-images"]) as { Images: Array<{ ImageId: string; Name: string }> };
    const ran = await ec2(u1, fromNewLeader, ["run-instances", "--image-id", images.Images.find((i) => /noble.*amd64/.test(i.Name))!.ImageId, "--instance-type", "t2.micro"]) as { Instances: Array<{ InstanceId: string }> };
    const instanceId = ran.Instances[0]!.InstanceId;
    await retryFor(120_000, async () => {
      const d = await ec2(u0, fromNewLeader, ["describe-instances", "--instance-ids", instanceId]) as { Reservations: Array<{ Instances: Array<{ State: { Name: string } }> }> };
      if (d.Reservations[0]!.Instances[0]!.State.Name !== "running") throw new Error("not running yet");
    }, 1000);
    await ec2(u0, fromNewLeader, ["terminate-instances", "--instance-ids", instanceId]);
  }, 10 * 60_000);
});
