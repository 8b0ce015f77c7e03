/**
 * Benchmark: DescribeInstances at 100, 1,000 and 10,000 instances and RunInstances
 * throughput on fake machines, through the AWS SDK for JavaScript, against `orchestra
 * serve` and, side by side, moto's EC2 server (`moto_server` from the machine's Python).
 * Both run as separate processes on 127.0.0.1 and are stopped by pid. Bounded: fixed
 * iteration counts and a watchdog that stops everything after WATCHDOG_MS.
 *
 * Beside the SDK's figure, the raw round trip: one request the SDK signed, captured and
 * replayed with undici, its answer read to the end and not parsed, so the figure is the
 * server's (plus loopback), not the SDK's XML parser's. Each server's resident memory is
 * read from /proc after each size, to show whether it grows with the answer.
 *
 * `orchestra serve` runs as production runs it: the built CLI bundle (dist/cli/, what
 * bin/orchestra and the charm run; `npm run build` makes it) with serve's Node flags before
 * it (lib/server/serve-node-flags.ts). From the TypeScript source and without the flags, the
 * young generation grew unbounded and large listings cost 1.15-1.21x less server CPU than
 * production pays, at 1.5-1.7x the RSS: the figures were not production's.
 *
 *   node tests/bench/ec2-api.ts            (ORCHESTRA_BENCH_MAX=1000 for a quick run;
 *   ORCHESTRA_BENCH_CPU_PROF=dir writes a --cpu-prof profile of orchestra serve there;
 *   ORCHESTRA_BENCH_NO_PEER=1 measures orchestra alone, for profiling: no ratios then;
 *   ORCHESTRA_BENCH_CALLS=n makes every size n calls, for a run on a loaded machine;
 *   ORCHESTRA_BENCH_CLI=path runs another build's bundle, dist/cli/main.js by default: copy
 *   dist/cli/ within dist/ (its packages resolve from node_modules) to compare two builds)
 */
import { freeTcpPort } from "../helpers/free-port.ts";
import { spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { existsSync, readFileSync } from "node:fs";
import { DescribeInstancesCommand, EC2Client, RunInstancesCommand } from "@aws-sdk/client-ec2";
import { Pool } from "undici";
import { CredentialStore } from "../../lib/ec2/credentials/credential-store.ts";
import { loadOrCreateSecretKey, SECRET_KEY_FILE, secretBox } from "../../lib/ec2/credentials/secret-box.ts";
import { IMAGES } from "../../lib/ec2/model/image-catalogue.ts";
import { Inventory } from "../../lib/inventory/index.ts";
import { openStore } from "../../lib/store/open-store.ts";
import { SERVE_NODE_FLAGS } from "../../lib/server/serve-node-flags.ts";

const SIZES = [100, 1_000, 10_000].filter((n) => n <= Number(process.env.ORCHESTRA_BENCH_MAX ?? 10_000));
const RUN_CALLS = 200;
const BY_ID_CALLS = 100;
const RUN_CONCURRENCY = 8;
const WATCHDOG_MS = 30 * 60_000;
const BUILT_CLI = resolve(process.env.ORCHESTRA_BENCH_CLI ?? new URL("../../dist/cli/main.js", import.meta.url).pathname);
if (!existsSync(BUILT_CLI)) throw new Error(`${BUILT_CLI} is missing: run \`npm run build\` first (the benchmark runs the bundled CLI, dist/cli/, as bin/orchestra does)`);
/** How orchestra serve is started, printed with the figures. */
const SERVE_AS = `node ${[...SERVE_NODE_FLAGS, BUILT_CLI.replace(`${resolve(import.meta.dirname, "../..")}/`, "")].join(" ")} serve`;

const children: ChildProcess[] = [];
const dataDir = mkdtempSync(join(tmpdir(), "orchestra-bench-"));

/** Stop every child by pid, wait (bounded) for them to exit, then remove the data directory. */
async function stopAll(): Promise<void> {
  const exits = children
    .filter((child) => child.exitCode === null && child.pid !== undefined)
    .map((child) => {
      const exited = new Promise<void>((resolveExit) => child.once("exit", () => resolveExit()));
      process.kill(child.pid!, "SIGTERM");
      return Promise.race([exited, new Promise<void>((r) => setTimeout(r, 10_000))]);
    });
  await Promise.all(exits);
  rmSync(dataDir, { recursive: true, force: true });
}

const watchdog = setTimeout(() => {
  process.stderr.write(`bench: watchdog fired after ${WATCHDOG_MS / 1000} s; stopping\n`);
  void stopAll().finally(() => process.exit(2));
}, WATCHDOG_MS);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

interface Target {
  name: string;
  client: EC2Client;
  imageId: string;
  endpoint: string;
  pool: Pool;
  pid: number;
}

/** A signed request as the SDK sent it, to replay byte for byte. */
interface SignedRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
}

/** Send `command` through the SDK once and keep the signed HTTP request it made. */
async function captureSigned(target: Target, command: DescribeInstancesCommand): Promise<SignedRequest> {
  let captured: SignedRequest | undefined;
  // The deserialize step runs after signing: args.request is what goes on the wire.
  command.middlewareStack.add(
    (next) => async (args) => {
      const request = args.request as { method: string; path: string; query?: Record<string, string>; headers: Record<string, string>; body?: unknown };
      const query = new URLSearchParams(Object.entries(request.query ?? {})).toString();
      captured = { method: request.method, path: request.path + (query ? `?${query}` : ""), headers: { ...request.headers }, body: typeof request.body === "string" ? request.body : "" };
      return next(args);
    },
    { step: "deserialize", name: "benchCaptureSigned" },
  );
  await target.client.send(command);
  if (!captured) throw new Error(`${target.name}: no signed request captured`);
  return captured;
}

/** Replay a signed request; resolves to the answer's size once its last byte is read. */
async function replay(target: Target, request: SignedRequest): Promise<number> {
  const response = await target.pool.request({ method: request.method as "POST", path: request.path, headers: request.headers, body: request.body });
  const body = Buffer.from(await response.body.arrayBuffer());
  if (response.statusCode !== 200) throw new Error(`${target.name}: replayed request answered ${response.statusCode}: ${body.subarray(0, 300).toString()}`);
  return body.length;
}

/** A process's CPU time so far (user + system) in ms, from /proc: the server's own cost, which other load on the machine inflates far less than wall time. */
function cpuMsOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime, stime in 1/100 s ticks
}

/** A process's resident and peak resident memory in MiB, from /proc. */
function memoryOf(pid: number): { rssMib: number; peakMib: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kib = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN);
  return { rssMib: kib("VmRSS") / 1024, peakMib: kib("VmHWM") / 1024 };
}

async function startOrchestra(machines: number): Promise<Target> {
  const db = await openStore(dataDir);
  const inventory = new Inventory(db);
  const started = performance.now();
  for (let i = 0; i < machines; i++) {
    const hex = i.toString(16).padStart(6, "0");
    const m = await inventory.addMachine({
      interfaces: [{ mac: `52:54:01:${hex.slice(0, 2)}:${hex.slice(2, 4)}:${hex.slice(4, 6)}` }],
      cpus: 4,
      memoryMib: 8192,
      disks: [{ sizeBytes: 100 * 1024 ** 3 }],
      power: { type: "fake" },
    });
    await inventory.accept(m.systemId);
  }
  process.stderr.write(`bench: ${machines} fake machines added and commissioned in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
  const credentials = new CredentialStore(db, secretBox(await loadOrCreateSecretKey(join(dataDir, SECRET_KEY_FILE))));
  const key = await credentials.create("bench");
  await db.close();
  const profile = process.env.ORCHESTRA_BENCH_CPU_PROF ? ["--cpu-prof", "--cpu-prof-dir", process.env.ORCHESTRA_BENCH_CPU_PROF] : [];
  const child = spawn(process.execPath, [...SERVE_NODE_FLAGS, ...profile, BUILT_CLI, "--data-dir", dataDir, "serve", "--boot-listen", "127.0.0.1:0", "--api-listen", "127.0.0.1:0", "--log-level", "warn"], { stdio: ["ignore", "ignore", "pipe"] });
  children.push(child);
  let stderr = "";
  const endpoint = await new Promise<string>((resolveEndpoint, reject) => {
    child.stderr!.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
      const match = /ec2 (http:\/\/[0-9.]+:\d+)\//.exec(stderr);
      if (match) resolveEndpoint(match[1]!);
    });
    child.once("exit", (code) => reject(new Error(`orchestra serve exited with ${code}: ${stderr}`)));
  });
  process.stderr.write(`bench: orchestra serve started as production starts it: ${SERVE_AS}\n`);
  const client = new EC2Client({ endpoint, region: "orchestra", credentials: { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey }, maxAttempts: 1 });
  return { name: "orchestra", client, imageId: IMAGES.find((i) => i.architecture === "x86_64")!.imageId, endpoint, pool: new Pool(endpoint, { connections: 1 }), pid: child.pid! };
}

async function startMoto(): Promise<Target> {
  const port = await freeTcpPort();
  // moto_server from the machine's (pyenv) Python; it serves every service on one port.
  const child = spawn("moto_server", ["-H", "127.0.0.1", "-p", String(port)], { stdio: ["ignore", "ignore", "ignore"] });
  children.push(child);
  const endpoint = `http://127.0.0.1:${port}`;
  for (let attempt = 0; ; attempt++) {
    try {
      await fetch(`${endpoint}/moto-api/`);
      break;
    } catch {
      if (attempt > 100) throw new Error("moto_server did not start");
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  const client = new EC2Client({ endpoint, region: "us-east-1", credentials: { accessKeyId: "testing", secretAccessKey: "testing" }, maxAttempts: 1 });
  // moto accepts any well-formed AMI id unless AMI validation is switched on.
  return { name: "moto", client, imageId: "ami-12c6146b", endpoint, pool: new Pool(endpoint, { connections: 1 }), pid: child.pid! };
}

/**
 * Send a RunInstances that carries a ClientToken, once more if the connection was reset: a
 * keep-alive socket the server closed while the client sat idle (the raw replays go through
 * another connection) fails the next request with ECONNRESET before the server reads it, and
 * the token makes the second send return the same reservation if the first was read after all.
 */
async function launchOnce(target: Target, command: RunInstancesCommand) {
  try {
    return await target.client.send(command);
  } catch (error) {
    if ((error as { code?: string }).code !== "ECONNRESET") throw error;
    process.stderr.write(`bench: ${target.name} RunInstances: connection reset, sent again with the same ClientToken\n`);
    return await target.client.send(command);
  }
}

/** Launch instances in batches of 100 until `total` exist; resolves to the seconds it took and the server's CPU ms over it. */
async function growTo(target: Target, current: number, total: number): Promise<{ seconds: number; cpuMs: number }> {
  const started = performance.now();
  const cpuBefore = cpuMsOf(target.pid);
  for (let have = current; have < total; ) {
    const count = Math.min(100, total - have);
    const run = await launchOnce(target, new RunInstancesCommand({ ImageId: target.imageId, InstanceType: "t2.micro", MinCount: count, MaxCount: count, ClientToken: randomUUID() }));
    have += run.Instances!.length;
  }
  return { seconds: (performance.now() - started) / 1000, cpuMs: cpuMsOf(target.pid) - cpuBefore };
}

interface DescribeFigures {
  size: number;
  calls: number;
  p50: number;
  p95: number;
  callsPerSecond: number;
  instancesPerSecond: number;
  byIdP50: number;
  rawP50: number;
  rawP95: number;
  rawBytes: number;
  rawByIdP50: number;
  rawCpuMs: number;
  rawByIdCpuMs: number;
  rssMib: number;
  peakMib: number;
}

async function measureDescribe(target: Target, size: number): Promise<DescribeFigures> {
  // Few calls where moto takes seconds each: the whole run stays within a quarter of an hour under load.
  const calls = Number(process.env.ORCHESTRA_BENCH_CALLS) || (size <= 100 ? 50 : size <= 1000 ? 20 : 5);
  await target.client.send(new DescribeInstancesCommand({})); // warm-up
  const times: number[] = [];
  let someId = "";
  const started = performance.now();
  for (let i = 0; i < calls; i++) {
    const t = performance.now();
    const result = await target.client.send(new DescribeInstancesCommand({}));
    times.push(performance.now() - t);
    const count = (result.Reservations ?? []).reduce((n, r) => n + (r.Instances?.length ?? 0), 0);
    if (count !== size) throw new Error(`${target.name}: DescribeInstances listed ${count} instances, expected ${size}`);
    someId = result.Reservations![0]!.Instances![0]!.InstanceId!;
  }
  const elapsed = (performance.now() - started) / 1000;
  const byId: number[] = [];
  for (let i = 0; i < 50; i++) {
    const t = performance.now();
    await target.client.send(new DescribeInstancesCommand({ InstanceIds: [someId] }));
    byId.push(performance.now() - t);
  }
  // The raw round trip: the same two requests, signed once by the SDK, replayed.
  const whole = await captureSigned(target, new DescribeInstancesCommand({}));
  const one = await captureSigned(target, new DescribeInstancesCommand({ InstanceIds: [someId] }));
  const raw: number[] = [];
  let rawBytes = 0;
  const cpuBefore = cpuMsOf(target.pid);
  for (let i = 0; i < calls; i++) {
    const t = performance.now();
    rawBytes = await replay(target, whole);
    raw.push(performance.now() - t);
  }
  const rawCpuMs = (cpuMsOf(target.pid) - cpuBefore) / calls;
  const rawById: number[] = [];
  const byIdCpuBefore = cpuMsOf(target.pid);
  for (let i = 0; i < BY_ID_CALLS; i++) {
    const t = performance.now();
    await replay(target, one);
    rawById.push(performance.now() - t);
  }
  const rawByIdCpuMs = (cpuMsOf(target.pid) - byIdCpuBefore) / BY_ID_CALLS;
  times.sort((a, b) => a - b);
  byId.sort((a, b) => a - b);
  raw.sort((a, b) => a - b);
  rawById.sort((a, b) => a - b);
  return {
    size, calls, p50: percentile(times, 50), p95: percentile(times, 95), callsPerSecond: calls / elapsed, instancesPerSecond: (calls * size) / elapsed, byIdP50: percentile(byId, 50),
    rawP50: percentile(raw, 50), rawP95: percentile(raw, 95), rawBytes, rawByIdP50: percentile(rawById, 50), rawCpuMs, rawByIdCpuMs, ...memoryOf(target.pid),
  };
}

async function measureRun(target: Target): Promise<{ callsPerSecond: number; p50: number; p95: number }> {
  const times: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: RUN_CONCURRENCY }, async () => {
      while (next < RUN_CALLS) {
        next++;
        const t = performance.now();
        await target.client.send(new RunInstancesCommand({ ImageId: target.imageId, InstanceType: "t2.micro", MinCount: 1, MaxCount: 1 }));
        times.push(performance.now() - t);
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  times.sort((a, b) => a - b);
  return { callsPerSecond: RUN_CALLS / elapsed, p50: percentile(times, 50), p95: percentile(times, 95) };
}

const ms = (n: number) => `${n.toFixed(1)} ms`;

async function benchmark(target: Target) {
  const describe: DescribeFigures[] = [];
  let have = 0;
  let grown = 0;
  let growSeconds = 0;
  let growCpuMs = 0;
  for (const size of SIZES) {
    const growth = await growTo(target, have, size);
    growSeconds += growth.seconds;
    growCpuMs += growth.cpuMs;
    grown += size - have;
    have = size;
    const figures = await measureDescribe(target, size);
    describe.push(figures);
    // Figures go out as they come, so a run cut short by the watchdog still reports them.
    process.stderr.write(`bench: ${target.name} DescribeInstances at ${size}: p50 ${ms(figures.p50)}, p95 ${ms(figures.p95)}, ${figures.callsPerSecond.toFixed(1)} calls/s, by id p50 ${ms(figures.byIdP50)}; raw p50 ${ms(figures.rawP50)} (${(figures.rawBytes / 1024).toFixed(0)} KiB), raw by id p50 ${ms(figures.rawByIdP50)}; server CPU per call ${figures.rawCpuMs.toFixed(1)} ms (${((figures.rawCpuMs * 1000) / size).toFixed(1)} µs per instance), by id ${figures.rawByIdCpuMs.toFixed(2)} ms; RSS ${figures.rssMib.toFixed(0)} MiB\n`);
  }
  const run = await measureRun(target);
  process.stderr.write(`bench: ${target.name} RunInstances: ${run.callsPerSecond.toFixed(1)} instances/s, p50 ${ms(run.p50)}, p95 ${ms(run.p95)}\n`);
  const batchRate = grown / growSeconds;
  const batchCpuMsPerInstance = growCpuMs / grown;
  process.stderr.write(`bench: ${target.name} RunInstances in batches of 100: ${batchRate.toFixed(1)} instances/s, server CPU ${batchCpuMsPerInstance.toFixed(2)} ms per instance\n`);
  return { describe, run, batchRate, batchCpuMsPerInstance };
}

try {
  const largest = SIZES.at(-1) ?? 0;
  const orchestra = await startOrchestra(largest + RUN_CALLS);
  if (process.env.ORCHESTRA_BENCH_NO_PEER) {
    await benchmark(orchestra);
    orchestra.client.destroy();
    await orchestra.pool.close();
  } else {
    const moto = await startMoto();
    const ours = await benchmark(orchestra);
    const theirs = await benchmark(moto);
    const lines = ["", "EC2 API benchmark (AWS SDK for JavaScript v3, one client, 127.0.0.1; orchestra on fake machines, SQLite store)", `orchestra runs as production runs it: ${SERVE_AS}`, ""];
    lines.push("DescribeInstances, whole listing (sequential calls)");
    lines.push("instances | orchestra p50 / p95     | moto p50 / p95          | orchestra calls/s | moto calls/s | moto p50 ÷ orchestra p50 | by-id p50 orchestra / moto");
    for (const [i, o] of ours.describe.entries()) {
      const m = theirs.describe[i]!;
      lines.push(
        `${String(o.size).padStart(9)} | ${`${ms(o.p50)} / ${ms(o.p95)}`.padEnd(23)} | ${`${ms(m.p50)} / ${ms(m.p95)}`.padEnd(23)} | ${o.callsPerSecond.toFixed(1).padStart(17)} | ${m.callsPerSecond.toFixed(1).padStart(12)} | ${(m.p50 / o.p50).toFixed(2).padStart(24)}x | ${ms(o.byIdP50)} / ${ms(m.byIdP50)}`,
      );
    }
    lines.push("", "DescribeInstances, raw round trip (the SDK's signed request replayed with undici, answer read whole, not parsed)");
    lines.push("instances | orchestra p50 / p95     | moto p50 / p95          | moto ÷ orchestra | µs per instance orchestra / moto | answer KiB | by-id p50 orchestra / moto | moto ÷ orchestra by id | server RSS MiB orchestra / moto");
    for (const [i, o] of ours.describe.entries()) {
      const m = theirs.describe[i]!;
      lines.push(
        `${String(o.size).padStart(9)} | ${`${ms(o.rawP50)} / ${ms(o.rawP95)}`.padEnd(23)} | ${`${ms(m.rawP50)} / ${ms(m.rawP95)}`.padEnd(23)} | ${(m.rawP50 / o.rawP50).toFixed(1).padStart(15)}x | ${`${((o.rawP50 * 1000) / o.size).toFixed(1)} / ${((m.rawP50 * 1000) / m.size).toFixed(1)}`.padEnd(32)} | ${`${(o.rawBytes / 1024).toFixed(0)} / ${(m.rawBytes / 1024).toFixed(0)}`.padEnd(10)} | ${`${o.rawByIdP50.toFixed(2)} ms / ${m.rawByIdP50.toFixed(2)} ms`.padEnd(26)} | ${(m.rawByIdP50 / o.rawByIdP50).toFixed(1).padStart(21)}x | ${o.rssMib.toFixed(0)} / ${m.rssMib.toFixed(0)}`,
      );
    }
    lines.push("", "Server CPU time per call (/proc utime + stime of the server process over the raw replays: what other load on the machine inflates least)");
    lines.push("instances | whole listing orchestra / moto | moto ÷ orchestra | µs per instance orchestra / moto | by id orchestra / moto");
    for (const [i, o] of ours.describe.entries()) {
      const m = theirs.describe[i]!;
      lines.push(
        `${String(o.size).padStart(9)} | ${`${o.rawCpuMs.toFixed(1)} ms / ${m.rawCpuMs.toFixed(1)} ms`.padEnd(30)} | ${(m.rawCpuMs / o.rawCpuMs).toFixed(1).padStart(15)}x | ${`${((o.rawCpuMs * 1000) / o.size).toFixed(1)} / ${((m.rawCpuMs * 1000) / m.size).toFixed(1)}`.padEnd(32)} | ${o.rawByIdCpuMs.toFixed(2)} ms / ${m.rawByIdCpuMs.toFixed(2)} ms`,
      );
    }
    lines.push("", `RunInstances in batches of 100 (while growing to ${SIZES.at(-1)}): orchestra ${ours.batchRate.toFixed(1)} instances/s, moto ${theirs.batchRate.toFixed(1)}: ${(ours.batchRate / theirs.batchRate).toFixed(2)}x; server CPU per instance orchestra ${ours.batchCpuMsPerInstance.toFixed(2)} ms, moto ${theirs.batchCpuMsPerInstance.toFixed(2)} ms`);
    lines.push("", `RunInstances, ${RUN_CALLS} calls of one instance, ${RUN_CONCURRENCY} in flight (orchestra: allocate + deploy a fake machine)`);
    lines.push(`orchestra: ${ours.run.callsPerSecond.toFixed(1)} instances/s (p50 ${ms(ours.run.p50)}, p95 ${ms(ours.run.p95)})`);
    lines.push(`moto:      ${theirs.run.callsPerSecond.toFixed(1)} instances/s (p50 ${ms(theirs.run.p50)}, p95 ${ms(theirs.run.p95)})`);
    lines.push(`ratio orchestra ÷ moto: ${(ours.run.callsPerSecond / theirs.run.callsPerSecond).toFixed(2)}x`);
    process.stdout.write(lines.join("\n") + "\n");
    orchestra.client.destroy();
    moto.client.destroy();
    await orchestra.pool.close();
    await moto.pool.close();
  }
} finally {
  clearTimeout(watchdog);
  await stopAll();
}
