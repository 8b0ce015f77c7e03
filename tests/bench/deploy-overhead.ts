/**
 * Benchmark: Orchestra's own overhead per deployment (the time spent outside the node's
 * boot and image copy) at 1, 10 and 50 parallel fake deployments, and, in the same run,
 * moto's EC2 server asked for as many instances through the same AWS SDK client.
 *
 * Orchestra runs on this process's main thread: `startServer` with its boot and EC2
 * listeners on 127.0.0.1:0, the lifecycle engine and the timeout worker, over a temporary
 * data directory whose image store holds an `os` image (a real disk image made by
 * mkfs.ext4 plus random bytes, gzipped: a few MiB) and a deploy ramdisk entry. Machines
 * have the test-only `fake` power type, but the server's Inventory is made with
 * `fakeCompletesAtOnce: false`, so a deployment takes the real path: RunInstances →
 * deploying → the engine's power step through the fake driver (no hardware) → a simulated
 * node → deployed → DescribeInstances says running.
 *
 * The EC2 client and the simulated nodes run in a worker thread (_deploy-client.ts), so
 * their work is not on the server's event loop. A node starts when the fake driver
 * power-cycles its machine (the machine boots after power-on) and makes the HTTP calls of a
 * real node, in order: its boot script until it gets the deploy branch (token from
 * `orchestra.token=`), the plan (the cloud-init seed file at its end), the image (downloaded fully: the node's own time, which
 * includes the server sending it), one progress post, the success report; after the
 * reboot, its boot script again (local disk); then cloud-init's NoCloud seed (meta-data,
 * user-data, vendor-data) and its phone_home `booted` post. Fetching the ramdisk's kernel
 * and initrd, writing the disk and booting are the node's and are not simulated. The
 * client asks DescribeInstances as soon as the booted post returns.
 *
 * overhead = total (RunInstances sent → DescribeInstances says running) − node time.
 * The server's cost per deployment is reported beside it: the main thread's own CPU time
 * (process.threadCpuUsage: the server's work, not the client thread's, and not time spent
 * waiting for a core on a loaded machine), and its event loop's busy time (wall time, so
 * inflated when other processes take the cores). Both are per round (the median of a size's
 * rounds), after warm-up rounds (one deployment, then WARM_UP_ROUNDS rounds of 50 in parallel
 * in each mode): module loading, the store's setup and V8's optimising of the request paths
 * are outside them, as they are for a server that has run for a minute; the
 * periodic engine sweep and the timeout worker running meanwhile are inside. Server and
 * client threads share this machine's cores with whatever else runs on it.
 *
 * Beside it, the floor: the server thread's CPU per request for /healthz on the same
 * listener (one `SELECT 1`, no log line), times the requests a deployment makes, is what
 * the HTTP layer alone costs a deployment here.
 *
 * Three variants: the engine sweep of `orchestra serve` (2 s), a fast sweep (100 ms) to see
 * past it, and the fast sweep with nginx serving the image (`--image-base-url`, as the charm
 * runs it), so the 5 MiB image's bytes leave the server's loop.
 *
 * Each round starts at a random moment of the engine's sweep period, as requests do; the
 * overhead is also shown without the sweep wait, which does not depend on that phase.
 *
 * Bounded: fixed rounds, per-step deadlines and a watchdog; everything started here is
 * stopped here (the server closed, moto_server by its pid, the temp directory removed).
 *
 *   node tests/bench/deploy-overhead.ts        (npm run bench -- deploy)
 */
import { freeTcpPort } from "../helpers/free-port.ts";
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { createServerLogger, serverLogDestination } from "../../lib/server/server-logger.ts";
import { CredentialStore } from "../../lib/ec2/credentials/credential-store.ts";
import { loadOrCreateSecretKey, SECRET_KEY_FILE, secretBox } from "../../lib/ec2/credentials/secret-box.ts";
import { DEFAULT_TOPOLOGY } from "../../lib/ec2/model/ec2-services.ts";
import { LifecycleEngine } from "../../lib/engine/lifecycle-engine.ts";
import { addImage, imagesDir } from "../../lib/images/image-store.ts";
import { Inventory } from "../../lib/inventory/index.ts";
import { FakePowerDriver } from "../../lib/power/fake.ts";
import type { PowerActionResult, PowerTarget } from "../../lib/power/power-driver.ts";
import { builtinPowerTypes } from "../../lib/power/power-types.ts";
import { PowerDriverRegistry } from "../../lib/power/registry.ts";
import { DEFAULT_ENGINE_SWEEP_MS, startServer, type RunningServer } from "../../lib/server/orchestra-server.ts";
import type { SqlDatabase } from "../../lib/store/sql-database.ts";
import { openStore } from "../../lib/store/open-store.ts";
import { addOsImage, gz, makeDiskImage } from "../deploy/deploy-fixture.ts";
import { nginxPeerConfig } from "./_nginx-peer.ts";
import { type ClientMessage, type DeploymentTimes, type Mode, type RoundResult, type ServerMessage, STEPS } from "./_deploy-client.ts";

/** Parallel deployments, and how many rounds of each (one deployment alone is noisy, so it runs more often). */
const SIZES = [
  { n: 1, rounds: 5 },
  { n: 10, rounds: 2 },
  // Three rounds: one round's figure moved ±15 % with the machine's other work.
  { n: 50, rounds: 3 },
];
/** The engine's sweep: what `orchestra serve` uses, then a faster one to show what the rest costs, then that with nginx serving the image. */
const SWEEPS = [
  { ms: DEFAULT_ENGINE_SWEEP_MS, nginx: false, label: `${DEFAULT_ENGINE_SWEEP_MS} ms (orchestra serve's default), Orchestra serving the image` },
  { ms: 100, nginx: false, label: "100 ms (faster, to see past the sweep), Orchestra serving the image" },
  { ms: 100, nginx: true, label: "100 ms, nginx serving the image (--image-base-url, as the charm runs it)" },
];
/**
 * Warm-up before each variant's measured rounds: this many rounds of WARM_UP deployments in
 * parallel, in each mode. After one round of 50, each of the next three or four rounds of 50
 * cost the server less CPU than the one before, 20-25 % less in all (V8 optimising the request
 * paths; measured round by round): the first measured rounds were partly the JIT's.
 */
const WARM_UP = 50;
const WARM_UP_ROUNDS = 2;
/** /healthz requests for the floor. */
const FLOOR_REQUESTS = 2000;
const MODES: readonly Mode[] = ["one call", "N calls"];
/** Incompressible bytes after the disk image, so the gzipped image is a few MiB. */
const RANDOM_MIB = 3;
const WATCHDOG_MS = 5 * 60_000;
const MIB = 1024 * 1024;

const dataDir = mkdtempSync(join(tmpdir(), "orchestra-bench-deploy-"));
// nginx's worker runs as an unprivileged user: it must be able to reach the image files (the store stays 0600).
chmodSync(dataDir, 0o755);
const children: ChildProcess[] = [];
let server: RunningServer | undefined;
let db: SqlDatabase | undefined;
const client = new Worker(new URL("./_deploy-client.ts", import.meta.url));

/** Stop what this bench started: the client thread, the server, moto_server (by pid, bounded wait), the data directory. */
async function stopAll(): Promise<void> {
  await client.terminate();
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

const clock = () => performance.timeOrigin + performance.now();

/** Nearest-rank percentile of ascending `sorted`. */
function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function summary(values: readonly number[]): { p50: number; p95: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p95: percentile(sorted, 95), max: sorted.at(-1)! };
}

const tell = (message: ClientMessage) => client.postMessage(message);

/** Run one round in the client thread; rejects with the client's error. */
function round(n: number, mode: Mode, message: ClientMessage = { type: "round", n, mode }): Promise<RoundResult> {
  return new Promise((resolveRound, reject) => {
    const onMessage = (message: ServerMessage) => {
      client.off("error", reject);
      if (message.type === "done") resolveRound(message.result);
      else reject(new Error(`client thread: ${message.message}`));
    };
    client.once("message", onMessage);
    client.once("error", reject);
    tell(message);
  });
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
  /** The server thread's event loop, busy, per deployment. */
  serverBusyMs: number;
  /** The server thread's own CPU time per deployment. */
  serverCpuMs: number;
  /** HTTP requests to Orchestra per deployment. */
  requests: number;
  /** CPU of the whole process (server and client threads) per deployment. */
  cpuMs: number;
  bootScriptCalls: number;
}

const PARTS = ["runInstances", "powerWait", ...STEPS.filter((s) => s !== "download"), "other"] as const;

function deploymentFigures(times: DeploymentTimes): Deployment {
  const total = times.runningAt - times.sentAt;
  const node = times.steps.download;
  // powerWait counts from the RunInstances answer; it is negative when the engine swept before the answer reached the client.
  const parts: Record<string, number> = { runInstances: times.answeredAt - times.sentAt, powerWait: times.poweredAt - times.answeredAt };
  for (const step of STEPS) if (step !== "download") parts[step] = times.steps[step];
  parts.other = total - node - Object.values(parts).reduce((a, b) => a + b, 0);
  return { total, node, overhead: total - node, parts };
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
  const started = clock();
  for (let i = 0; i < machines; i++) {
    const mac = `52:54:02:00:${(i >> 8).toString(16).padStart(2, "0")}:${(i & 0xff).toString(16).padStart(2, "0")}`;
    const m = await setup.addMachine({ interfaces: [{ mac }], cpus: 4, memoryMib: 8192, disks: [{ name: "sda", sizeBytes: 100 * 1024 ** 3 }], power: { type: "fake" } });
    await setup.accept(m.systemId);
    macs.set(m.systemId, mac);
  }
  process.stderr.write(`bench: image ${image.id} (${(image.files.root!.sizeBytes / MIB).toFixed(1)} MiB gz), ${machines} ready fake machines in ${((clock() - started) / 1000).toFixed(1)} s\n`);
  const credentials = new CredentialStore(db, secretBox(await loadOrCreateSecretKey(join(dataDir, SECRET_KEY_FILE))));
  const key = await credentials.create("bench");
  return { imageId: image.id, macs, credentials, key };
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

/** nginx serving `<data dir>/images` at /images/ on loopback (stopped with the bench); answers that base URL. */
async function startNginx(): Promise<string> {
  const port = await freeTcpPort();
  const dir = join(dataDir, "nginx");
  await mkdir(dir, { recursive: true });
  writeFileSync(join(dir, "nginx.conf"), nginxPeerConfig({ root: imagesDir(dataDir), port, dir, connections: 1024, at: "/images/" }));
  const child = spawn("nginx", ["-c", join(dir, "nginx.conf"), "-g", "daemon off;"], { stdio: ["ignore", "ignore", "ignore"] });
  children.push(child);
  const base = `http://127.0.0.1:${port}/images`;
  for (let attempt = 0; !(await fetch(`${base}/`).catch(() => undefined)); attempt++) {
    if (attempt > 100 || child.exitCode !== null) throw new Error("nginx did not start");
    await new Promise((r) => setTimeout(r, 100));
  }
  return base;
}

/** The server as `orchestra serve` assembles it, but with fake deployments taking the real path. */
async function startOrchestra(sweepMs: number, store: BenchStore, imageBaseUrl?: string): Promise<void> {
  // serve's logger at its default level (redaction, synchronous writes), to a file: the log's cost is part of the overhead.
  const logger = createServerLogger("info", serverLogDestination(join(dataDir, `server-${sweepMs}.log`)));
  const inventory = new Inventory(db!, { fakeCompletesAtOnce: false });
  const fake = new ObservedFakeDriver((target) => {
    const mac = store.macs.get(target.systemId);
    if (mac) tell({ type: "powered", mac, at: clock() });
  });
  const drivers = new PowerDriverRegistry(builtinPowerTypes(), { logger: logger.child({ service: "power" }) }).register(fake);
  const engine = new LifecycleEngine({ inventory, drivers, logger: logger.child({ service: "engine" }) });
  const loopback = { host: "127.0.0.1", port: 0 };
  server = await startServer({ inventory, logger, bootListen: loopback, dataDir, ...(imageBaseUrl ? { boot: { imageBaseUrl } } : {}), engine: { engine, sweepMs }, ec2: { listen: loopback, credentials: store.credentials, topology: DEFAULT_TOPOLOGY } });
  tell({
    type: "target",
    kind: "orchestra",
    endpoint: `http://127.0.0.1:${server.addresses.ec2!.port}`,
    bootBase: `http://127.0.0.1:${server.addresses.boot.port}`,
    imageId: store.imageId,
    key: store.key,
    region: DEFAULT_TOPOLOGY.region,
  });
}

async function orchestraRound(n: number, mode: Mode): Promise<RoundFigures> {
  const elu = performance.eventLoopUtilization();
  const cpu = process.cpuUsage();
  const thread = process.threadCpuUsage();
  const result = await round(n, mode);
  const busy = performance.eventLoopUtilization(elu);
  const used = process.cpuUsage(cpu);
  const own = process.threadCpuUsage(thread);
  if (result.kind !== "orchestra") throw new Error("expected an Orchestra round");
  const deployments = result.deployments.map(deploymentFigures);
  const wall = Math.max(...result.deployments.map((d) => d.runningAt)) - Math.min(...result.deployments.map((d) => d.sentAt));
  return {
    wall,
    deployments,
    serverBusyMs: busy.active / n,
    serverCpuMs: (own.user + own.system) / 1000 / n,
    requests: result.deployments.reduce((a, d) => a + d.requests, 0) / n,
    cpuMs: (used.user + used.system) / 1000 / n,
    bootScriptCalls: result.deployments.reduce((a, d) => a + d.bootScriptCalls, 0),
  };
}

/** The server thread's CPU per /healthz request, in ms. */
async function floorMs(): Promise<number> {
  const thread = process.threadCpuUsage();
  const result = await round(FLOOR_REQUESTS, "one call", { type: "floor", requests: FLOOR_REQUESTS });
  const own = process.threadCpuUsage(thread);
  if (result.kind !== "floor") throw new Error("expected a floor round");
  return (own.user + own.system) / 1000 / result.requests;
}

// ---------------------------------------------------------------- moto

async function startMoto(): Promise<void> {
  const port = await freeTcpPort();
  // moto_server from the machine's (pyenv) Python; it serves every service on one port.
  const child = spawn("moto_server", ["-H", "127.0.0.1", "-p", String(port)], { stdio: ["ignore", "ignore", "ignore"] });
  children.push(child);
  const endpoint = `http://127.0.0.1:${port}`;
  for (let attempt = 0; !(await fetch(`${endpoint}/moto-api/`).catch(() => undefined)); attempt++) {
    if (attempt > 150 || child.exitCode !== null) throw new Error("moto_server did not start");
    await new Promise((r) => setTimeout(r, 200));
  }
  // moto accepts any well-formed AMI id unless AMI validation is switched on.
  tell({ type: "target", kind: "moto", endpoint, imageId: "ami-12c6146b", key: { accessKeyId: "testing", secretAccessKey: "testing" }, region: "us-east-1" });
}

async function motoRound(n: number, mode: Mode): Promise<number[]> {
  const result = await round(n, mode);
  if (result.kind !== "moto") throw new Error("expected a moto round");
  return result.perInstance;
}

// ---------------------------------------------------------------- report

const ms = (v: number) => (v >= 10_000 ? `${(v / 1000).toFixed(1)} s` : `${v.toFixed(Math.abs(v) >= 100 ? 0 : 1)} ms`);
const median = (values: readonly number[]) => percentile([...values].sort((a, b) => a - b), 50);
const load = () => loadavg().map((l) => l.toFixed(1)).join(" ");
const label = (mode: Mode, n: number) => `${mode.padEnd(8)} ${String(n).padStart(2)}`;

interface Row {
  n: number;
  mode: Mode;
  rounds: RoundFigures[];
}

const deploymentsOf = (row: Row) => row.rounds.flatMap((r) => r.deployments);
const overheadP50 = (row: Row) => summary(deploymentsOf(row).map((d) => d.overhead)).p50;
/** The overhead without the wait for the engine's sweep: what Orchestra's own work costs, whatever the sweep's phase. */
const workP50 = (row: Row) => summary(deploymentsOf(row).map((d) => d.overhead - Math.max(0, d.parts.powerWait!))).p50;

function orchestraTable(rows: readonly Row[]): string[] {
  const lines = ["mode      N | deployments | wall (median of rounds) | overhead p50 / p95 / max     | p50 ÷ N=1 | without the sweep wait: p50, ÷ N=1 | node (download) p50 | total p50 | server thread CPU / loop busy / CPU (both threads) per deployment | requests"];
  for (const row of rows) {
    const all = deploymentsOf(row);
    const o = summary(all.map((d) => d.overhead));
    const single = rows.find((r) => r.mode === row.mode && r.n === 1)!;
    const work = `${ms(workP50(row))}, ${(workP50(row) / workP50(single)).toFixed(2)}x`;
    lines.push(
      `${label(row.mode, row.n)} | ${String(all.length).padStart(11)} | ${ms(median(row.rounds.map((r) => r.wall))).padStart(23)} | ${`${ms(o.p50)} / ${ms(o.p95)} / ${ms(o.max)}`.padEnd(28)} | ${`${(o.p50 / overheadP50(single)).toFixed(2)}x`.padStart(9)} | ${work.padStart(34)} | ${ms(summary(all.map((d) => d.node)).p50).padStart(19)} | ${ms(summary(all.map((d) => d.total)).p50).padStart(9)} | ${ms(median(row.rounds.map((r) => r.serverCpuMs)))} / ${ms(median(row.rounds.map((r) => r.serverBusyMs)))} / ${ms(median(row.rounds.map((r) => r.cpuMs)))} | ${median(row.rounds.map((r) => r.requests)).toFixed(1)}`,
    );
  }
  lines.push("", "overhead, part by part: p50 (p95) per deployment; powerWait counts from the RunInstances answer, other is what falls between the timed calls");
  lines.push(`mode      N | ${PARTS.join(" | ")}`);
  for (const row of rows) {
    const cells = PARTS.map((part) => {
      const s = summary(deploymentsOf(row).map((d) => d.parts[part]!));
      return `${ms(s.p50)} (${ms(s.p95)})`;
    });
    lines.push(`${label(row.mode, row.n)} | ${cells.join(" | ")}`);
  }
  const repeated = rows.flatMap((r) => r.rounds).reduce((a, r) => a + r.bootScriptCalls - r.deployments.length, 0);
  if (repeated > 0) lines.push(`(${repeated} boot-script calls came before the deploy branch was ready and were repeated)`);
  return lines;
}

try {
  const totalMachines = SWEEPS.length * (1 + WARM_UP * WARM_UP_ROUNDS * MODES.length + MODES.length * SIZES.reduce((a, s) => a + s.n * s.rounds, 0));
  const store = await prepareStore(totalMachines);
  const results: Array<{ sweep: (typeof SWEEPS)[number]; rows: Row[]; loadBefore: string; loadAfter: string; floor: number }> = [];
  let nginxBase: string | undefined;
  for (const sweep of SWEEPS) {
    if (sweep.nginx) nginxBase ??= await startNginx();
    await startOrchestra(sweep.ms, store, sweep.nginx ? nginxBase : undefined);
    const loadBefore = load();
    // Warm-up: JIT, connections, SQLite pages. One deployment alone left the first measured
    // round of 50 compiling its code (the first variant's CPU was 1.2-1.5x the others').
    await orchestraRound(1, "one call");
    for (let r = 0; r < WARM_UP_ROUNDS; r++) for (const mode of MODES) await orchestraRound(WARM_UP, mode);
    await floorMs(); // its own warm-up
    const floor = await floorMs();
    const rows: Row[] = [];
    for (const mode of MODES) {
      for (const { n, rounds } of SIZES) {
        const row: Row = { n, mode, rounds: [] };
        for (let r = 0; r < rounds; r++) {
          // Requests arrive at any moment of the engine's period; rounds run back to back would lock onto its phase.
          await new Promise((resolveDelay) => setTimeout(resolveDelay, Math.random() * sweep.ms));
          row.rounds.push(await orchestraRound(n, mode));
        }
        const o = summary(deploymentsOf(row).map((d) => d.overhead));
        process.stderr.write(`bench: orchestra sweep ${sweep.ms} ms, ${mode}, ${n}: overhead p50 ${ms(o.p50)}, p95 ${ms(o.p95)}, wall ${ms(median(row.rounds.map((x) => x.wall)))}\n`);
        rows.push(row);
      }
    }
    results.push({ sweep, rows, loadBefore, loadAfter: load(), floor });
    await server!.close();
    server = undefined;
  }

  await startMoto();
  await motoRound(1, "one call"); // warm-up
  const motoRows: Array<{ n: number; mode: Mode; perInstance: number[] }> = [];
  for (const mode of MODES) {
    for (const { n, rounds } of SIZES) {
      const row = { n, mode, perInstance: [] as number[] };
      for (let r = 0; r < rounds; r++) row.perInstance.push(...(await motoRound(n, mode)));
      motoRows.push(row);
    }
  }
  const motoP50 = (mode: Mode, n: number) => summary(motoRows.find((r) => r.mode === mode && r.n === n)!.perInstance).p50;

  const lines = [
    "",
    "Deployment overhead benchmark: Orchestra on the main thread (SQLite store, fake power through the lifecycle engine), EC2 client (AWS SDK for JavaScript v3) and simulated nodes in a worker thread, HTTP on 127.0.0.1",
    `overhead = RunInstances sent → DescribeInstances says running, minus the node's image download; load average (1/5/15 min) at the end: ${load()}`,
  ];
  for (const { sweep, rows, loadBefore, loadAfter, floor } of results) {
    const single = rows.find((r) => r.mode === "one call" && r.n === 1)!;
    const perDeployment = median(single.rounds.map((r) => r.requests));
    lines.push(
      "",
      `Orchestra, engine sweep every ${sweep.label}; load average before ${loadBefore}, after ${loadAfter}`,
      `floor: /healthz costs the server thread ${(floor * 1000).toFixed(0)} µs of CPU a request; a deployment's ${perDeployment.toFixed(1)} requests at that cost are ${ms(floor * perDeployment)}`,
      ...orchestraTable(rows),
    );
  }
  lines.push("", "moto_server, same client: it does NO deployment at all (RunInstances → running in DescribeInstances is API bookkeeping only)");
  lines.push("mode      N | instances | per instance p50 / p95 / max | p50 ÷ N=1");
  for (const row of motoRows) {
    const s = summary(row.perInstance);
    lines.push(`${label(row.mode, row.n)} | ${String(row.perInstance.length).padStart(9)} | ${`${ms(s.p50)} / ${ms(s.p95)} / ${ms(s.max)}`.padEnd(28)} | ${(s.p50 / motoP50(row.mode, 1)).toFixed(2)}x`);
  }
  lines.push("", "Against moto (p50 per deployment): Orchestra's API calls alone (RunInstances + the DescribeInstances that saw running), and its whole overhead");
  for (const { sweep, rows } of results) {
    for (const row of rows) {
      const api = summary(deploymentsOf(row).map((d) => d.parts.runInstances! + d.parts.toRunning!)).p50;
      const m = motoP50(row.mode, row.n);
      lines.push(`sweep ${String(sweep.ms).padStart(4)} ms${sweep.nginx ? " + nginx" : ""}, ${label(row.mode, row.n)}: API ${ms(api)} vs moto ${ms(m)} (${(api / m).toFixed(2)}x); whole overhead ${ms(overheadP50(row))} (${(overheadP50(row) / m).toFixed(1)}x moto)`);
    }
  }
  process.stdout.write(lines.join("\n") + "\n");
  tell({ type: "stop" });
} finally {
  clearTimeout(watchdog);
  await stopAll();
}
