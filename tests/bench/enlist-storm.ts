/**
 * Benchmark: an enlistment storm. N unknown machines (N = 100, 1,000, 3,000) power on within
 * one second; each fetches its iPXE scripts, the discovery kernel and initrd (whole files),
 * and posts its discovery report, retrying as the real iPXE script and ramdisk do
 * (_storm-client.ts). Prints figures; not a timed test.
 *
 * `orchestra serve` runs as its own process over a fresh data directory per N (so its CPU
 * and peak memory are its own); the machines run in STORM_WORKERS worker threads of this
 * process, each machine from its own loopback address (127.x.y.z), on loopback only.
 *
 * Figures per N: time from the first power-on until every machine is enlisted (the server
 * holds a machine for each), reports lost (machines that gave up: must be 0), rate-limited
 * answers and the retries they caused, p50/p99 latency of the per-MAC script, server CPU
 * seconds and peak RSS. Beside them, nginx serves the same kernel and initrd to N clients in
 * the same run: the floor for the files' part of the storm on this machine.
 *
 * Bounded: each storm stops at its deadline; the server and nginx are stopped by pid; the
 * temp directory is removed.
 *
 *   node tests/bench/enlist-storm.ts [N ...]        (npm run bench -- enlist-storm)
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { Worker } from "node:worker_threads";
import { buildDiscoveryImage } from "../../lib/images/build-discovery.ts";
import { imagesDir } from "../../lib/images/image-store.ts";
import { startDetached, stopProcess } from "../../lib/lab/lab-processes.ts";
import { orchestraArgv } from "../../lib/lab/orchestra-command.ts";
import { openStore } from "../../lib/store/open-store.ts";
import { freeTcpPort } from "../helpers/free-port.ts";
import { nginxPeerConfig } from "./_nginx-peer.ts";
import { cpuSeconds, peakRssMib } from "./_process-usage.ts";
import type { MachineRun, StormMachine, StormWork } from "./_storm-client.ts";

const SIZES = process.argv.slice(2).map(Number).filter((n) => n > 0);
const STORMS = SIZES.length ? SIZES : [100, 1000, 3000];
const STORM_WORKERS = 2;
/**
 * Storms up to this size read the kernel and initrd whole; larger ones read the first MiB of
 * each by a ranged request: 3,000 whole downloads are 49 GiB, which on this shared 2-core
 * machine is minutes of loopback copying by the load generator itself. The files' cost at
 * 1,000 clients is measured whole in boot-http.ts.
 */
const WHOLE_FILES_UP_TO = Number(process.env.STORM_WHOLE_FILES_UP_TO ?? 100);
const HEAD_BYTES = 1024 * 1024;
/** A storm that has not finished by then is stopped and reported as such. */
const STORM_DEADLINE_MS = 300_000;

const work = mkdtempSync(join(tmpdir(), `orchestra-bench-storm-${process.pid}-`));
// nginx's worker runs as an unprivileged user: it must be able to read the image files.
chmodSync(work, 0o755);
const stops: Array<() => Promise<unknown>> = [];

const load = () => loadavg().map((l) => l.toFixed(1)).join(" ");

function mac(n: number): string {
  const hex = n.toString(16).padStart(6, "0");
  return `52:54:03:${hex.slice(0, 2)}:${hex.slice(2, 4)}:${hex.slice(4, 6)}`;
}

/** Machine n's own loopback address. */
function source(n: number): string {
  return `127.${100 + Math.floor(n / 62_500)}.${Math.floor(n / 250) % 250}.${(n % 250) + 1}`;
}

async function waitFor(url: string): Promise<void> {
  for (let i = 0; i < 150; i++) {
    const ok = await fetch(url).then(async (r) => (await r.arrayBuffer(), r.ok)).catch(() => false);
    if (ok) return;
    await sleep(100);
  }
  throw new Error(`${url} did not come up`);
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted.length ? sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]! : Number.NaN;
}

/** Run `machines` in STORM_WORKERS threads; resolves with every machine's run. */
async function storm(port: number, machines: StormMachine[], startAt: number, headBytes: number | undefined): Promise<MachineRun[]> {
  const per = Math.ceil(machines.length / STORM_WORKERS);
  const parts = Array.from({ length: STORM_WORKERS }, (_, i) => ({ firstIndex: i * per, machines: machines.slice(i * per, (i + 1) * per) })).filter((p) => p.machines.length);
  const runs = await Promise.all(
    parts.map(
      (part) =>
        new Promise<MachineRun[]>((resolve, reject) => {
          const data: StormWork & { firstIndex: number } = { host: "127.0.0.1", port, machines: part.machines, startAt, spreadMs: 1000, deadline: startAt + STORM_DEADLINE_MS, firstIndex: part.firstIndex, ...(headBytes ? { headBytes } : {}) };
          const worker = new Worker(new URL("./_storm-client.ts", import.meta.url), { workerData: data });
          worker.once("message", (result: MachineRun[]) => resolve(result));
          worker.once("error", reject);
          worker.once("exit", (code) => (code === 0 ? undefined : reject(new Error(`storm worker exited with ${code}`))));
        }),
    ),
  );
  return runs.flat();
}

interface StormFigures {
  n: number;
  enlisted: number;
  inStore: number;
  lost: number;
  seconds: number;
  rateLimited: number;
  scriptRetries: number;
  enlistRetries: number;
  scriptP50: number;
  scriptP99: number;
  cpu: number;
  rss: number;
  gib: number;
  errors: string[];
}

async function orchestraStorm(n: number, imageDir: string): Promise<StormFigures> {
  const dataDir = join(work, `serve-${n}`);
  mkdirSync(dataDir, { recursive: true });
  // The same discovery image, built once: linked into this storm's data directory.
  await import("node:fs/promises").then((fs) => fs.cp(imageDir, imagesDir(dataDir), { recursive: true }));
  // A port the kernel just said is free: a random one once collided and serve never came up.
  const port = await freeTcpPort();
  const serve = await startDetached("serve", [...orchestraArgv(), "serve", "--data-dir", dataDir, "--boot-listen", `127.0.0.1:${port}`, "--api-listen", "127.0.0.1:0", "--log-level", "info"], join(work, `serve-${n}.log`));
  const stop = () => stopProcess(serve);
  stops.push(stop);
  try {
    await waitFor(`http://127.0.0.1:${port}/healthz`);
    const machines = Array.from({ length: n }, (_, i) => ({ mac: mac(i), source: source(i) }));
    const cpuBefore = await cpuSeconds(serve.pid);
    const startAt = performance.timeOrigin + performance.now() + 200;
    const runs = await storm(port, machines, startAt, n > WHOLE_FILES_UP_TO ? HEAD_BYTES : undefined);
    const cpu = (await cpuSeconds(serve.pid)) - cpuBefore;
    const rss = await peakRssMib(serve.pid);
    const db = await openStore(dataDir);
    const inStore = (await db.get<{ n: number }>("SELECT count(*) AS n FROM machines"))!.n;
    await db.close();
    const enlisted = runs.filter((r) => r.enlistedAt !== undefined);
    const scripts = runs.flatMap((r) => r.scriptLatencies).sort((a, b) => a - b);
    const first = Math.min(...runs.map((r) => r.poweredAt));
    return {
      n,
      enlisted: enlisted.length,
      inStore,
      lost: n - enlisted.length,
      seconds: enlisted.length ? (Math.max(...enlisted.map((r) => r.enlistedAt!)) - first) / 1000 : Number.NaN,
      rateLimited: runs.reduce((a, r) => a + r.rateLimited, 0),
      scriptRetries: runs.reduce((a, r) => a + r.scriptRetries, 0),
      enlistRetries: runs.reduce((a, r) => a + r.enlistRetries, 0),
      scriptP50: percentile(scripts, 50),
      scriptP99: percentile(scripts, 99),
      cpu,
      rss,
      gib: runs.reduce((a, r) => a + r.fileBytes, 0) / 2 ** 30,
      errors: [...new Set(runs.map((r) => r.error).filter((e): e is string => Boolean(e)))].slice(0, 3),
    };
  } finally {
    await stop();
    stops.splice(stops.indexOf(stop), 1);
  }
}

/** nginx, the same files, the same N clients from their own addresses, fetched once each: no scripts, no report. */
async function nginxFiles(nginx: Awaited<ReturnType<typeof startDetached>>, port: number, imageId: string, n: number, headBytes: number | undefined): Promise<{ seconds: number; cpu: number; gib: number; failures: number }> {
  const { Agent, request } = await import("node:http");
  const cpuBefore = await cpuSeconds(nginx.pid);
  const started = performance.now();
  let bytes = 0;
  let failures = 0;
  await Promise.all(
    Array.from({ length: n }, async (_, i) => {
      await sleep(Math.random() * 1000);
      const agent = new Agent({ keepAlive: false, maxSockets: 1, localAddress: source(i) });
      for (const file of ["kernel", "initrd"]) {
        // Awaited first, then added: `bytes += await ...` reads `bytes` before the wait and loses the others' additions.
        const got = await new Promise<number>((resolve, reject) => {
          request({ host: "127.0.0.1", port, path: `/images/${imageId}/${file}`, agent, headers: headBytes ? { range: `bytes=0-${headBytes - 1}` } : {} }, (res) => {
            let got = 0;
            res.on("data", (c: Buffer) => (got += c.length));
            res.on("end", () => (res.statusCode === (headBytes ? 206 : 200) ? resolve(got) : reject(new Error(`nginx ${file}: ${res.statusCode}`))));
          })
            .on("error", reject)
            .end();
        }).catch(() => {
          failures++;
          return 0;
        });
        bytes += got;
      }
      agent.destroy();
    }),
  );
  return { seconds: (performance.now() - started) / 1000, cpu: (await cpuSeconds(nginx.pid)) - cpuBefore, gib: bytes / 2 ** 30, failures };
}

const limit = setTimeout(() => {
  console.error("enlist-storm took too long; stopping");
  void Promise.all(stops.map((stop) => stop())).finally(() => process.exit(1));
}, 20 * 60_000);
try {
  const built = await buildDiscoveryImage(join(work, "build"));
  const imageDir = imagesDir(join(work, "build"));
  const perClient = (built.files.kernel.sizeBytes + built.files.initrd.sizeBytes) / 2 ** 20;
  const nginxPort = await freeTcpPort();
  const nginxDir = join(work, "nginx");
  mkdirSync(nginxDir, { recursive: true });
  writeFileSync(join(nginxDir, "nginx.conf"), nginxPeerConfig({ root: imageDir, port: nginxPort, dir: nginxDir, connections: 8192, at: "/images/" }));
  const nginx = await startDetached("nginx", ["nginx", "-c", join(nginxDir, "nginx.conf"), "-g", "daemon off;"], join(work, "nginx.log"));
  stops.push(() => stopProcess(nginx));
  await waitFor(`http://127.0.0.1:${nginxPort}/images/${built.id}/kernel`);

  console.log(`Enlistment storm: N unknown machines power on within 1 s; each fetches /boot.ipxe, its per-MAC script, the discovery kernel and initrd (${perClient.toFixed(1)} MiB whole up to N = ${WHOLE_FILES_UP_TO}, above that the first ${HEAD_BYTES / 2 ** 20} MiB of each by a ranged request), then posts its report; retries as iPXE and the ramdisk do.`);
  console.log(`orchestra serve (its own process, --log-level info) on 127.0.0.1; machines in ${STORM_WORKERS} worker threads, each from its own 127/8 address; nginx (1 worker, sendfile) serves the same files to N clients in the same run.`);
  console.log(`load average before: ${load()}`);
  console.log("      N | enlisted (in store) | lost | all enlisted after | rate-limited answers | retries script/report | script p50 / p99 | server CPU s | server peak RSS | files GiB | nginx files only: s, CPU s");
  for (const n of STORMS) {
    const f = await orchestraStorm(n, imageDir);
    const ng = await nginxFiles(nginx, nginxPort, built.id, n, n > WHOLE_FILES_UP_TO ? HEAD_BYTES : undefined);
    console.log(
      `${String(n).padStart(7)} | ${`${f.enlisted} (${f.inStore})`.padStart(19)} | ${String(f.lost).padStart(4)} | ${`${f.seconds.toFixed(1)} s`.padStart(18)} | ${String(f.rateLimited).padStart(20)} | ${`${f.scriptRetries}/${f.enlistRetries}`.padStart(21)} | ${`${f.scriptP50.toFixed(0)} / ${f.scriptP99.toFixed(0)} ms`.padStart(16)} | ${f.cpu.toFixed(1).padStart(12)} | ${`${f.rss.toFixed(0)} MiB`.padStart(15)} | ${f.gib.toFixed(1).padStart(9)} | ${ng.seconds.toFixed(1)} s, ${ng.cpu.toFixed(1)} s${ng.failures ? ` (${ng.failures} failed)` : ""}`,
    );
    console.log(`        server CPU per machine ${((f.cpu / n) * 1000).toFixed(1)} ms; per GiB of files (whole storm) ${(f.cpu / f.gib).toFixed(2)} s vs nginx ${(ng.cpu / ng.gib).toFixed(2)} s (${(f.cpu / f.gib / (ng.cpu / ng.gib)).toFixed(1)}x); load average ${load()}`);
    for (const error of f.errors) console.log(`        e.g. ${error}`);
  }
} finally {
  for (const stop of stops.reverse()) await stop();
  clearTimeout(limit);
  rmSync(work, { recursive: true, force: true });
}
