/**
 * Benchmark: DescribeInstances at 100, 1,000 and 10,000 instances and RunInstances
 * throughput on fake machines, through the AWS SDK for JavaScript, against `orchestra
 * serve` and, side by side, moto's EC2 server (`moto_server` from the machine's Python).
 * Both run as separate processes on 127.0.0.1 and are stopped by pid. Bounded: fixed
 * iteration counts and a watchdog that stops everything after WATCHDOG_MS.
 *
 *   node tests/bench/ec2-api.ts            (ORCHESTRA_BENCH_MAX=1000 for a quick run)
 */
import { freeTcpPort } from "../helpers/free-port.ts";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { DescribeInstancesCommand, EC2Client, RunInstancesCommand } from "@aws-sdk/client-ec2";
import { CredentialStore } from "../../lib/ec2/credentials/credential-store.ts";
import { loadOrCreateSecretKey, SECRET_KEY_FILE, secretBox } from "../../lib/ec2/credentials/secret-box.ts";
import { IMAGES } from "../../lib/ec2/model/image-catalogue.ts";
import { Inventory } from "../../lib/inventory/index.ts";
import { openStore } from "../../lib/store/open-store.ts";

const SIZES = [100, 1_000, 10_000].filter((n) => n <= Number(process.env.ORCHESTRA_BENCH_MAX ?? 10_000));
const RUN_CALLS = 200;
const RUN_CONCURRENCY = 8;
const WATCHDOG_MS = 30 * 60_000;
const MAIN = resolve(import.meta.dirname, "../../lib/cli/main.ts");

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
  const child = spawn(process.execPath, [MAIN, "--data-dir", dataDir, "serve", "--boot-listen", "127.0.0.1:0", "--api-listen", "127.0.0.1:0", "--log-level", "warn"], { stdio: ["ignore", "ignore", "pipe"] });
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
  const client = new EC2Client({ endpoint, region: "orchestra", credentials: { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey }, maxAttempts: 1 });
  return { name: "orchestra", client, imageId: IMAGES.find((i) => i.architecture === "x86_64")!.imageId };
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
  return { name: "moto", client, imageId: "ami-12c6146b" };
}

/** Launch instances in batches of 100 until `total` exist. */
async function growTo(target: Target, current: number, total: number): Promise<void> {
  for (let have = current; have < total; ) {
    const count = Math.min(100, total - have);
    const run = await target.client.send(new RunInstancesCommand({ ImageId: target.imageId, InstanceType: "t2.micro", MinCount: count, MaxCount: count }));
    have += run.Instances!.length;
  }
}

interface DescribeFigures {
  size: number;
  calls: number;
  p50: number;
  p95: number;
  callsPerSecond: number;
  instancesPerSecond: number;
  byIdP50: number;
}

async function measureDescribe(target: Target, size: number): Promise<DescribeFigures> {
  const calls = size <= 100 ? 200 : size <= 1000 ? 50 : 5;
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
  times.sort((a, b) => a - b);
  byId.sort((a, b) => a - b);
  return { size, calls, p50: percentile(times, 50), p95: percentile(times, 95), callsPerSecond: calls / elapsed, instancesPerSecond: (calls * size) / elapsed, byIdP50: percentile(byId, 50) };
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
  for (const size of SIZES) {
    await growTo(target, have, size);
    have = size;
    const figures = await measureDescribe(target, size);
    describe.push(figures);
    // Figures go out as they come, so a run cut short by the watchdog still reports them.
    process.stderr.write(`bench: ${target.name} DescribeInstances at ${size}: p50 ${ms(figures.p50)}, p95 ${ms(figures.p95)}, ${figures.callsPerSecond.toFixed(1)} calls/s, by id p50 ${ms(figures.byIdP50)}\n`);
  }
  const run = await measureRun(target);
  process.stderr.write(`bench: ${target.name} RunInstances: ${run.callsPerSecond.toFixed(1)} instances/s, p50 ${ms(run.p50)}, p95 ${ms(run.p95)}\n`);
  return { describe, run };
}

try {
  const largest = SIZES.at(-1) ?? 0;
  const orchestra = await startOrchestra(largest + RUN_CALLS);
  const moto = await startMoto();
  const ours = await benchmark(orchestra);
  const theirs = await benchmark(moto);
  const lines = ["", "EC2 API benchmark (AWS SDK for JavaScript v3, one client, 127.0.0.1; orchestra on fake machines, SQLite store)", ""];
  lines.push("DescribeInstances, whole listing (sequential calls)");
  lines.push("instances | orchestra p50 / p95     | moto p50 / p95          | orchestra calls/s | moto calls/s | moto p50 ÷ orchestra p50 | by-id p50 orchestra / moto");
  for (const [i, o] of ours.describe.entries()) {
    const m = theirs.describe[i]!;
    lines.push(
      `${String(o.size).padStart(9)} | ${`${ms(o.p50)} / ${ms(o.p95)}`.padEnd(23)} | ${`${ms(m.p50)} / ${ms(m.p95)}`.padEnd(23)} | ${o.callsPerSecond.toFixed(1).padStart(17)} | ${m.callsPerSecond.toFixed(1).padStart(12)} | ${(m.p50 / o.p50).toFixed(2).padStart(24)}x | ${ms(o.byIdP50)} / ${ms(m.byIdP50)}`,
    );
  }
  lines.push("", `RunInstances, ${RUN_CALLS} calls of one instance, ${RUN_CONCURRENCY} in flight (orchestra: allocate + deploy a fake machine)`);
  lines.push(`orchestra: ${ours.run.callsPerSecond.toFixed(1)} instances/s (p50 ${ms(ours.run.p50)}, p95 ${ms(ours.run.p95)})`);
  lines.push(`moto:      ${theirs.run.callsPerSecond.toFixed(1)} instances/s (p50 ${ms(theirs.run.p50)}, p95 ${ms(theirs.run.p95)})`);
  lines.push(`ratio orchestra ÷ moto: ${(ours.run.callsPerSecond / theirs.run.callsPerSecond).toFixed(2)}x`);
  process.stdout.write(lines.join("\n") + "\n");
  orchestra.client.destroy();
  moto.client.destroy();
} finally {
  clearTimeout(watchdog);
  await stopAll();
}
