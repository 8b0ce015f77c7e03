/**
 * Benchmark: Orchestra's own overhead per deployment (the time spent outside the node's
 * boot and image copy) at 1, 10 and 50 parallel fake deployments, and, in the same run,
 * moto's EC2 server asked for as many instances through the same AWS SDK client.
 *
 * Orchestra runs in this process: `startServer` with its boot and EC2 listeners on
 * 127.0.0.1:0, the lifecycle engine and the timeout worker, over a temporary data directory
 * whose image store holds an `os` image (a real disk image made by mkfs.ext4 plus random
 * bytes, gzipped: a few MiB) and a deploy ramdisk entry. Machines have the test-only `fake`
 * power type, but the server's Inventory is made with `fakeCompletesAtOnce: false`, so a
 * deployment takes the real path: RunInstances → deploying → the engine's power step
 * through the fake driver (no hardware) → a simulated node → deployed → DescribeInstances
 * says running.
 *
 * The simulated node starts when the fake driver power-cycles its machine (the machine
 * boots after power-on) and makes the HTTP calls of a real node, in order: its boot script
 * until it gets the deploy branch (token from `orchestra.token=`), the plan, the image
 * (downloaded fully and hashed: the node's own time), one progress post, the success
 * report; after the reboot, its boot script again (local disk); then cloud-init's NoCloud
 * seed (meta-data, user-data, vendor-data) and its phone_home `booted` post. Fetching the
 * ramdisk's kernel and initrd, writing the disk and booting are the node's and are not
 * simulated. The client asks DescribeInstances as soon as the booted post returns.
 *
 * overhead = total (RunInstances sent → DescribeInstances says running) − node time.
 * Server, client and nodes share this process's event loop (2 cores, shared machine):
 * under load each one's latency includes the others' work.
 *
 * Bounded: fixed rounds, per-step deadlines and a watchdog; everything started here is
 * stopped here (the server closed, moto_server by its pid, the temp directory removed).
 *
 *   node tests/bench/deploy-overhead.ts        (npm run bench -- deploy)
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { DescribeInstancesCommand, EC2Client, RunInstancesCommand, type Instance } from "@aws-sdk/client-ec2";
import { pino } from "pino";
import { CredentialStore } from "../../lib/ec2/credentials/credential-store.ts";
import { loadOrCreateSecretKey, SECRET_KEY_FILE, secretBox } from "../../lib/ec2/credentials/secret-box.ts";
import { DEFAULT_TOPOLOGY } from "../../lib/ec2/model/ec2-services.ts";
import { LifecycleEngine } from "../../lib/engine/lifecycle-engine.ts";
import { addImage } from "../../lib/images/image-store.ts";
import { Inventory } from "../../lib/inventory/index.ts";
import { FakePowerDriver } from "../../lib/power/fake.ts";
import type { PowerActionResult, PowerTarget } from "../../lib/power/power-driver.ts";
import { builtinPowerTypes } from "../../lib/power/power-types.ts";
import { PowerDriverRegistry } from "../../lib/power/registry.ts";
import { DEFAULT_ENGINE_SWEEP_MS, startServer, type RunningServer } from "../../lib/server/orchestra-server.ts";
import type { SqlDatabase } from "../../lib/store/sql-database.ts";
import { openStore } from "../../lib/store/open-store.ts";
import { addOsImage, gz, makeDiskImage } from "../deploy/deploy-fixture.ts";

/** Parallel deployments, and how many rounds of each (one deployment alone is noisy, so it runs more often). */
const SIZES = [
  { n: 1, rounds: 5 },
  { n: 10, rounds: 2 },
  { n: 50, rounds: 1 },
];
/** The engine's sweep: what `orchestra serve` uses, then a faster one to show what the rest costs. */
const SWEEPS = [
  { ms: DEFAULT_ENGINE_SWEEP_MS, label: `${DEFAULT_ENGINE_SWEEP_MS} ms (orchestra serve's default)` },
  { ms: 100, label: "100 ms (faster, to see past the sweep)" },
];
const MODES = ["one call", "N calls"] as const;
type Mode = (typeof MODES)[number];
/** Incompressible bytes after the disk image, so the gzipped image is a few MiB. */
const RANDOM_MIB = 3;
const POLL_MS = 20;
const STEP_DEADLINE_MS = 60_000;
const WATCHDOG_MS = 5 * 60_000;
const MIB = 1024 * 1024;

const dataDir = mkdtempSync(join(tmpdir(), "orchestra-bench-deploy-"));
const children: ChildProcess[] = [];
let server: RunningServer | undefined;
let db: SqlDatabase | undefined;

/** Stop what this bench started: the server, moto_server (by pid, bounded wait), the data directory. */
async function stopAll(): Promise<void> {
  await server?.close().catch(() => undefined);
  server = undefined;
  await db?.close().catch(() => undefined);
  db = undefined;
  await Promise.all(
    children
      .filter((child) => child.exitCode === null && child.signalCode === null && child.pid !== undefined)
      .map((child) => {
        const exited = new Promise<void>((resolveExit) => child.once("exit", () => resolveExit()));
        process.kill(child.pid!, "SIGTERM");
        return Promise.race([exited, new Promise<void>((r) => setTimeout(r, 10_000))]);
      }),
  );
  rmSync(dataDir, { recursive: true, force: true });
}

const watchdog = setTimeout(() => {
  process.stderr.write(`bench: watchdog fired after ${WATCHDOG_MS / 1000} s; stopping\n`);
  void stopAll().finally(() => process.exit(2));
}, WATCHDOG_MS);

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const now = () => performance.now();

/** Nearest-rank percentile of ascending `sorted`. */
function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function summary(values: readonly number[]): { p50: number; p95: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p95: percentile(sorted, 95), max: sorted.at(-1)! };
}

async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      probe.close(() => resolvePort(typeof address === "object" && address ? address.port : 0));
    });
  });
}

/** Poll `check` every POLL_MS until it answers a value; throws after `deadlineMs`. */
async function waitFor<T>(what: string, check: () => Promise<T | undefined>, deadlineMs = STEP_DEADLINE_MS): Promise<T> {
  const until = now() + deadlineMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (now() > until) throw new Error(`${what}: not done within ${deadlineMs / 1000} s`);
    await sleep(POLL_MS);
  }
}

// ---------------------------------------------------------------- simulated node

/** The steps a node's deployment is timed in; `download` is the node's own time. */
const STEPS = ["bootScript", "plan", "download", "progress", "report", "rebootScript", "seed", "booted", "toRunning"] as const;
type Step = (typeof STEPS)[number];

interface NodeRun {
  readonly instanceId: string;
  /** When the fake driver power-cycled the machine (the node's first call follows). */
  readonly poweredAt: number;
  /** When DescribeInstances first said running. */
  readonly runningAt: number;
  readonly steps: Record<Step, number>;
  readonly bootScriptCalls: number;
}

async function checked(response: Response, what: string): Promise<Response> {
  if (!response.ok) throw new Error(`${what}: HTTP ${response.status} ${await response.text()}`);
  return response;
}

/** The calls a real node makes from power-on to cloud-init's phone_home, timed step by step. */
async function simulateNode(bootBase: string, mac: string, poweredAt: number, client: EC2Client): Promise<NodeRun> {
  const steps = {} as Record<Step, number>;
  const timed = async <T>(step: Step, work: () => Promise<T>): Promise<T> => {
    const started = now();
    try {
      return await work();
    } finally {
      steps[step] = (steps[step] ?? 0) + (now() - started);
    }
  };
  const bootScriptUrl = `${bootBase}/boot/${mac.replaceAll(":", "-")}.ipxe`;
  // iPXE asks for the machine's script; a deploying machine gets the deploy ramdisk with its token.
  let bootScriptCalls = 0;
  const script = await waitFor(`boot script of ${mac}`, async () => {
    bootScriptCalls++;
    const text = await timed("bootScript", async () => (await checked(await fetch(bootScriptUrl), "boot script")).text());
    return /orchestra\.token=/.test(text) ? text : undefined;
  });
  const base = /orchestra\.url=(\S+)/.exec(script)![1]!;
  const token = /orchestra\.token=(\S+)/.exec(script)![1]!;
  // The deploy ramdisk: plan, image, progress, report (lib/images/deploy-script.ts).
  const planText = await timed("plan", async () => (await checked(await fetch(`${base}/deploy/${token}/plan`), "plan")).text());
  const plan = Object.fromEntries(planText.split("\n").filter((line) => line.includes("=")).map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]));
  const bytes = await timed("download", async () => {
    const response = await checked(await fetch(plan.IMAGE_URL!), "image");
    const hash = createHash("sha256");
    let size = 0;
    for await (const chunk of response.body!) {
      hash.update(chunk);
      size += chunk.length;
    }
    if (hash.digest("hex") !== plan.IMAGE_SHA256) throw new Error(`image of ${mac}: checksum mismatch`);
    return size;
  });
  const form = { "content-type": "application/x-www-form-urlencoded" };
  await timed("progress", async () => void (await checked(await fetch(plan.PROGRESS_URL!, { method: "POST", headers: form, body: `bytes=${bytes}` }), "progress")).arrayBuffer());
  const log = `deploying ${plan.IMAGE_ID} (${plan.IMAGE_FORMAT}, ${plan.IMAGE_BYTES} bytes) to ${plan.DISK} on ${plan.SYSTEM_ID}\nimage written and verified (SHA-256 ${plan.IMAGE_SHA256})\ncloud-init seed written\n`;
  await timed("report", async () => void (await checked(await fetch(`${plan.REPORT_URL}?status=success`, { method: "POST", headers: { "content-type": "text/plain" }, body: `deployed ${plan.IMAGE_ID} to ${plan.DISK}\n${log}` }), "report")).arrayBuffer());
  // The reboot: iPXE asks again and is sent to the local disk.
  const again = await timed("rebootScript", async () => (await checked(await fetch(bootScriptUrl), "boot script after the reboot")).text());
  if (!again.includes("local disk")) throw new Error(`${mac} after its report was not sent to its disk:\n${again}`);
  // The deployed system's cloud-init: NoCloud seed, then phone_home.
  const metaData = await timed("seed", async () => {
    const [meta] = await Promise.all(["meta-data", "user-data", "vendor-data"].map(async (file) => (await checked(await fetch(`${plan.SEED_URL}${file}`), file)).text()));
    return meta!;
  });
  const instanceId = /instance-id: (\S+)/.exec(metaData)![1]!;
  const hostname = /local-hostname: (\S+)/.exec(metaData)![1]!;
  await timed("booted", async () => void (await checked(await fetch(plan.BOOTED_URL!, { method: "POST", headers: form, body: `instance_id=${instanceId}&hostname=${hostname}` }), "booted")).arrayBuffer());
  // The client, as soon as the node has phoned home.
  await timed("toRunning", () => waitFor(`${instanceId} running`, async () => ((await instanceStates(client, [instanceId])).get(instanceId) === "running" ? true : undefined)));
  return { instanceId, poweredAt, runningAt: now(), steps, bootScriptCalls };
}

/** The fake driver, unchanged, that also tells the bench when it power-cycled a machine. */
class ObservedFakeDriver extends FakePowerDriver {
  readonly #onCycle: (target: PowerTarget) => void;

  constructor(onCycle: (target: PowerTarget) => void) {
    super();
    this.#onCycle = onCycle;
  }

  override async powerCycle(target: PowerTarget): Promise<PowerActionResult> {
    const result = await super.powerCycle(target);
    this.#onCycle(target);
    return result;
  }
}

// ---------------------------------------------------------------- EC2 calls

async function instanceStates(client: EC2Client, ids: readonly string[]): Promise<Map<string, string>> {
  const result = await client.send(new DescribeInstancesCommand({ InstanceIds: [...ids] }));
  const instances: Instance[] = (result.Reservations ?? []).flatMap((r) => r.Instances ?? []);
  return new Map(instances.map((i) => [i.InstanceId!, i.State?.Name ?? ""]));
}

interface Launch {
  readonly sentAt: number;
  readonly answeredAt: number;
  readonly instanceIds: string[];
}

/** One RunInstances of `n`, or `n` RunInstances of one at once. */
async function launch(client: EC2Client, imageId: string, n: number, mode: Mode): Promise<Launch[]> {
  const one = async (count: number): Promise<Launch> => {
    const sentAt = now();
    const run = await client.send(new RunInstancesCommand({ ImageId: imageId, InstanceType: "t2.micro", MinCount: count, MaxCount: count }));
    return { sentAt, answeredAt: now(), instanceIds: run.Instances!.map((i) => i.InstanceId!) };
  };
  return mode === "one call" ? [await one(n)] : Promise.all(Array.from({ length: n }, () => one(1)));
}

// ---------------------------------------------------------------- Orchestra

interface Deployment {
  total: number;
  node: number;
  overhead: number;
  /** The overhead's parts; `other` is what falls between the timed calls. */
  parts: Record<string, number>;
}

interface RoundFigures {
  wall: number;
  deployments: Deployment[];
  cpuMsPerDeployment: number;
  bootScriptCalls: number;
}

const PARTS = ["runInstances", "powerWait", "bootScript", "plan", "progress", "report", "rebootScript", "seed", "booted", "toRunning", "other"] as const;

interface Orchestra {
  client: EC2Client;
  imageId: string;
  /** Nodes started by the fake driver since the last `takeNodes`. */
  takeNodes(): Promise<NodeRun>[];
  nodeCount(): number;
}

interface BenchStore {
  imageId: string;
  /** Each machine's boot MAC, by system id. */
  macs: Map<string, string>;
  credentials: CredentialStore;
  key: { accessKeyId: string; secretAccessKey: string };
}

async function prepareStore(machines: number): Promise<BenchStore> {
  db = await openStore(dataDir);
  const work = join(dataDir, "bench-work");
  await mkdir(work, { recursive: true });
  const disk = await makeDiskImage(work);
  const image = await addOsImage(dataDir, work, gz(Buffer.concat([disk.raw, randomBytes(RANDOM_MIB * MIB)])));
  // The deploy ramdisk's kernel and initrd: the simulated node never fetches them.
  await writeFile(join(work, "vmlinuz"), "kernel");
  await writeFile(join(work, "initrd.img"), "initrd");
  await addImage(dataDir, { name: "bench-deploy", role: "deploy", release: "bench", architecture: "amd64", source: "deploy-overhead bench" }, { kernel: { path: join(work, "vmlinuz") }, initrd: { path: join(work, "initrd.img") } });
  // Machines are added and commissioned the way every API test does (the fake power type
  // completes commissioning at once); the server's own inventory then deploys them for real.
  const setup = new Inventory(db);
  const macs = new Map<string, string>();
  const started = now();
  for (let i = 0; i < machines; i++) {
    const mac = `52:54:02:00:${(i >> 8).toString(16).padStart(2, "0")}:${(i & 0xff).toString(16).padStart(2, "0")}`;
    const m = await setup.addMachine({ interfaces: [{ mac }], cpus: 4, memoryMib: 8192, disks: [{ name: "sda", sizeBytes: 100 * 1024 ** 3 }], power: { type: "fake" } });
    await setup.accept(m.systemId);
    macs.set(m.systemId, mac);
  }
  process.stderr.write(`bench: image ${image.id} (${(image.files.root!.sizeBytes / MIB).toFixed(1)} MiB gz), ${machines} ready fake machines in ${((now() - started) / 1000).toFixed(1)} s\n`);
  const credentials = new CredentialStore(db, secretBox(await loadOrCreateSecretKey(join(dataDir, SECRET_KEY_FILE))));
  const key = await credentials.create("bench");
  return { imageId: image.id, macs, credentials, key };
}

async function startOrchestra(sweepMs: number, store: BenchStore): Promise<Orchestra> {
  const logger = pino({ level: "info" }, pino.destination(join(dataDir, `server-${sweepMs}.log`)));
  const inventory = new Inventory(db!, { fakeCompletesAtOnce: false });
  let nodes: Promise<NodeRun>[] = [];
  let bootBase = "";
  let client: EC2Client | undefined;
  const fake = new ObservedFakeDriver((target) => {
    const mac = store.macs.get(target.systemId);
    if (!mac) return;
    const run = simulateNode(bootBase, mac, now(), client!);
    run.catch(() => undefined); // awaited by the round; this only keeps an early failure from being unhandled
    nodes.push(run);
  });
  const drivers = new PowerDriverRegistry(builtinPowerTypes(), { logger: logger.child({ service: "power" }) }).register(fake);
  const engine = new LifecycleEngine({ inventory, drivers, logger: logger.child({ service: "engine" }) });
  const loopback = { host: "127.0.0.1", port: 0 };
  server = await startServer({
    inventory,
    logger,
    bootListen: loopback,
    dataDir,
    engine: { engine, sweepMs },
    ec2: { listen: loopback, credentials: store.credentials, topology: DEFAULT_TOPOLOGY },
  });
  bootBase = `http://127.0.0.1:${server.addresses.boot.port}`;
  client = new EC2Client({ endpoint: `http://127.0.0.1:${server.addresses.ec2!.port}`, region: DEFAULT_TOPOLOGY.region, credentials: store.key, maxAttempts: 1 });
  return {
    client,
    imageId: store.imageId,
    takeNodes() {
      const taken = nodes;
      nodes = [];
      return taken;
    },
    nodeCount: () => nodes.length,
  };
}

async function orchestraRound(target: Orchestra, n: number, mode: Mode): Promise<RoundFigures> {
  target.takeNodes();
  const cpu = process.cpuUsage();
  const launches = await launch(target.client, target.imageId, n, mode);
  await waitFor(`${n} nodes powered on`, async () => (target.nodeCount() >= n ? true : undefined));
  const runs = await Promise.all(target.takeNodes());
  const used = process.cpuUsage(cpu);
  const byInstance = new Map(launches.flatMap((l) => l.instanceIds.map((id) => [id, l] as const)));
  const deployments = runs.map((run): Deployment => {
    const call = byInstance.get(run.instanceId);
    if (!call) throw new Error(`node deployed ${run.instanceId}, which this round did not launch`);
    const total = run.runningAt - call.sentAt;
    const node = run.steps.download;
    const parts: Record<string, number> = { runInstances: call.answeredAt - call.sentAt, powerWait: run.poweredAt - call.answeredAt };
    for (const step of STEPS) if (step !== "download") parts[step] = run.steps[step];
    parts.other = total - node - Object.values(parts).reduce((a, b) => a + b, 0);
    return { total, node, overhead: total - node, parts };
  });
  const wall = Math.max(...runs.map((r) => r.runningAt)) - Math.min(...launches.map((l) => l.sentAt));
  return { wall, deployments, cpuMsPerDeployment: (used.user + used.system) / 1000 / n, bootScriptCalls: runs.reduce((a, r) => a + r.bootScriptCalls, 0) };
}

// ---------------------------------------------------------------- moto

async function startMoto(): Promise<EC2Client> {
  const port = await freePort();
  // moto_server from the machine's (pyenv) Python; it serves every service on one port.
  const child = spawn("moto_server", ["-H", "127.0.0.1", "-p", String(port)], { stdio: ["ignore", "ignore", "ignore"] });
  children.push(child);
  const endpoint = `http://127.0.0.1:${port}`;
  await waitFor("moto_server to answer", async () => ((await fetch(`${endpoint}/moto-api/`).catch(() => undefined)) ? true : undefined), 30_000);
  return new EC2Client({ endpoint, region: "us-east-1", credentials: { accessKeyId: "testing", secretAccessKey: "testing" }, maxAttempts: 1 });
}

/** moto: RunInstances, then DescribeInstances until every instance is running. No deployment happens at all. */
async function motoRound(client: EC2Client, n: number, mode: Mode): Promise<{ wall: number; perInstance: number[] }> {
  const started = now();
  const perInstance: number[] = [];
  const one = async (count: number) => {
    const [call] = await launch(client, "ami-12c6146b", count, "one call");
    const waiting = new Set(call!.instanceIds);
    await waitFor("moto instances running", async () => {
      for (const [id, state] of await instanceStates(client, [...waiting])) {
        if (state === "running" && waiting.delete(id)) perInstance.push(now() - call!.sentAt);
      }
      return waiting.size === 0 ? true : undefined;
    });
  };
  await (mode === "one call" ? one(n) : Promise.all(Array.from({ length: n }, () => one(1))));
  return { wall: now() - started, perInstance };
}

// ---------------------------------------------------------------- report

const ms = (v: number) => (v >= 10_000 ? `${(v / 1000).toFixed(1)} s` : `${v.toFixed(v >= 100 ? 0 : 1)} ms`);
const median = (values: readonly number[]) => percentile([...values].sort((a, b) => a - b), 50);
const load = () => loadavg().map((l) => l.toFixed(1)).join(" ");

interface Row {
  n: number;
  mode: Mode;
  rounds: RoundFigures[];
}

function orchestraTable(rows: readonly Row[]): string[] {
  const lines = [
    "mode      N | deployments | wall (median of rounds) | overhead p50 / p95 / max  | p50 ÷ N=1 | node (download) p50 | total p50 | CPU of this process per deployment",
  ];
  for (const row of rows) {
    const all = row.rounds.flatMap((r) => r.deployments);
    const o = summary(all.map((d) => d.overhead));
    const base = rows.find((r) => r.mode === row.mode && r.n === 1)!;
    const baseP50 = summary(base.rounds.flatMap((r) => r.deployments).map((d) => d.overhead)).p50;
    lines.push(
      `${row.mode.padEnd(8)} ${String(row.n).padStart(2)} | ${String(all.length).padStart(11)} | ${ms(median(row.rounds.map((r) => r.wall))).padStart(23)} | ${`${ms(o.p50)} / ${ms(o.p95)} / ${ms(o.max)}`.padEnd(25)} | ${`${(o.p50 / baseP50).toFixed(2)}x`.padStart(9)} | ${ms(summary(all.map((d) => d.node)).p50).padStart(19)} | ${ms(summary(all.map((d) => d.total)).p50).padStart(9)} | ${ms(median(row.rounds.map((r) => r.cpuMsPerDeployment)))}`,
    );
  }
  lines.push("", "overhead, part by part: p50 (p95) per deployment");
  lines.push(`mode      N | ${PARTS.join(" | ")}`);
  for (const row of rows) {
    const all = row.rounds.flatMap((r) => r.deployments);
    const cells = PARTS.map((part) => {
      const s = summary(all.map((d) => d.parts[part]!));
      return `${ms(s.p50)} (${ms(s.p95)})`;
    });
    lines.push(`${row.mode.padEnd(8)} ${String(row.n).padStart(2)} | ${cells.join(" | ")}`);
  }
  const extraScripts = rows.flatMap((r) => r.rounds).reduce((a, r) => a + r.bootScriptCalls - r.deployments.length, 0);
  if (extraScripts > 0) lines.push(`(${extraScripts} boot-script calls came before the deploy branch was ready and were repeated)`);
  return lines;
}

try {
  const totalMachines = SWEEPS.length * (1 + MODES.length * SIZES.reduce((a, s) => a + s.n * s.rounds, 0));
  const store = await prepareStore(totalMachines);
  const results: Array<{ sweep: (typeof SWEEPS)[number]; rows: Row[]; loadBefore: string; loadAfter: string }> = [];
  for (const sweep of SWEEPS) {
    const target = await startOrchestra(sweep.ms, store);
    const loadBefore = load();
    await orchestraRound(target, 1, "one call"); // warm-up: JIT, connections, SQLite pages
    const rows: Row[] = [];
    for (const mode of MODES) {
      for (const { n, rounds } of SIZES) {
        const row: Row = { n, mode, rounds: [] };
        for (let r = 0; r < rounds; r++) row.rounds.push(await orchestraRound(target, n, mode));
        const o = summary(row.rounds.flatMap((x) => x.deployments).map((d) => d.overhead));
        process.stderr.write(`bench: orchestra sweep ${sweep.ms} ms, ${mode}, ${n}: overhead p50 ${ms(o.p50)}, p95 ${ms(o.p95)}, wall ${ms(median(row.rounds.map((x) => x.wall)))}\n`);
        rows.push(row);
      }
    }
    results.push({ sweep, rows, loadBefore, loadAfter: load() });
    target.client.destroy();
    await server!.close();
    server = undefined;
  }

  const moto = await startMoto();
  await motoRound(moto, 1, "one call"); // warm-up
  const motoRows: Array<{ n: number; mode: Mode; walls: number[]; perInstance: number[] }> = [];
  for (const mode of MODES) {
    for (const { n, rounds } of SIZES) {
      const row = { n, mode, walls: [] as number[], perInstance: [] as number[] };
      for (let r = 0; r < rounds; r++) {
        const round = await motoRound(moto, n, mode);
        row.walls.push(round.wall);
        row.perInstance.push(...round.perInstance);
      }
      motoRows.push(row);
    }
  }
  moto.destroy();

  const lines = ["", `Deployment overhead benchmark: Orchestra in-process (SQLite store, fake power, simulated nodes over HTTP on 127.0.0.1), AWS SDK for JavaScript v3; load average (1/5/15 min) at the end: ${load()}`];
  for (const { sweep, rows, loadBefore, loadAfter } of results) {
    lines.push("", `Orchestra, engine sweep every ${sweep.label}; load average before ${loadBefore}, after ${loadAfter}`, ...orchestraTable(rows));
  }
  lines.push("", "moto_server (does NO deployment at all: RunInstances → running in DescribeInstances is API bookkeeping only)");
  lines.push("mode      N | instances | wall (median of rounds) | per instance p50 / p95 / max | p50 ÷ N=1");
  for (const row of motoRows) {
    const s = summary(row.perInstance);
    const base = summary(motoRows.find((r) => r.mode === row.mode && r.n === 1)!.perInstance).p50;
    lines.push(`${row.mode.padEnd(8)} ${String(row.n).padStart(2)} | ${String(row.perInstance.length).padStart(9)} | ${ms(median(row.walls)).padStart(23)} | ${`${ms(s.p50)} / ${ms(s.p95)} / ${ms(s.max)}`.padEnd(28)} | ${(s.p50 / base).toFixed(2)}x`);
  }
  lines.push("", "API/bookkeeping only, like for like: Orchestra's RunInstances + its final DescribeInstances (p50) against moto's per-instance p50");
  for (const { sweep, rows } of results) {
    for (const row of rows) {
      const all = row.rounds.flatMap((r) => r.deployments);
      const api = summary(all.map((d) => d.parts.runInstances! + d.parts.toRunning!)).p50;
      const m = summary(motoRows.find((r) => r.mode === row.mode && r.n === row.n)!.perInstance).p50;
      const overhead = summary(all.map((d) => d.overhead)).p50;
      lines.push(`sweep ${String(sweep.ms).padStart(4)} ms, ${row.mode.padEnd(8)} ${String(row.n).padStart(2)}: orchestra API ${ms(api)} vs moto ${ms(m)} (${(api / m).toFixed(2)}x); orchestra's whole overhead ${ms(overhead)} (${(overhead / m).toFixed(1)}x moto's bookkeeping)`);
    }
  }
  process.stdout.write(lines.join("\n") + "\n");
} finally {
  clearTimeout(watchdog);
  await stopAll();
}
