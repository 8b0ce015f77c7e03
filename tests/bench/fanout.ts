/**
 * Benchmark: deploying one image to N machines at once, by plain HTTP from the server and by
 * peer-to-peer fan-out (lib/fanout), side by side in one run, on a simulated network. Prints
 * figures and draws docs/scale/fanout.svg; not a timed test.
 *
 * Every machine is a network namespace with a shaped veth link into one bridge
 * (tests/bench/_fanout-network.ts): the server's link and every node's run at the same rate,
 * scaled down from 10 GbE together with the image, so that the links and not this 2-core
 * machine's CPU are what is measured. Per mode and N: the time until every node holds an
 * image whose SHA-256 it has checked, and every byte the server's link sent.
 *
 * Run as: npm run bench -- fanout   (root; needs iproute2, nginx, busybox, aria2c)
 * Knobs (environment): FANOUT_BENCH_NODES=10,100  FANOUT_BENCH_IMAGE_MIB  FANOUT_BENCH_RATE_MBIT
 *   FANOUT_BENCH_MODES=http,fanout  FANOUT_BENCH_SVG=path (default docs/scale/fanout.svg)
 */
import { createHash, randomBytes, randomFillSync } from "node:crypto";
import { chmodSync, closeSync, cpSync, existsSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { execa, type ResultPromise } from "execa";
import { createNetwork, deleteNetwork, inNamespace, MAX_NODES, planNetwork, txBytes, type SimHost, type SimNetwork } from "./_fanout-network.ts";
import { watchMachineLoad, type LoadFigures } from "./_machine-load.ts";
import { nginxPeerConfig } from "./_nginx-peer.ts";
import { renderPlot } from "./_svg-plot.ts";
import { aria2DownloadArguments, aria2SeedArguments, createImageTorrent, fanoutAnnounceUrl } from "../../lib/fanout/index.ts";

const PREFIX = "fob";
const nodeCounts = (process.env.FANOUT_BENCH_NODES ?? "10,100").split(",").map(Number);
const imageMib = Number(process.env.FANOUT_BENCH_IMAGE_MIB ?? 16);
const rateMbit = Number(process.env.FANOUT_BENCH_RATE_MBIT ?? 40);
const modes = (process.env.FANOUT_BENCH_MODES ?? "http,fanout").split(",") as Mode[];
const svgPath = process.env.FANOUT_BENCH_SVG ?? new URL("../../docs/scale/fanout.svg", import.meta.url).pathname;
type Mode = "http" | "fanout";

for (const n of nodeCounts) if (!Number.isInteger(n) || n < 1 || n > MAX_NODES) throw new RangeError(`FANOUT_BENCH_NODES: ${n} is not 1..${MAX_NODES}`);
if (!(imageMib > 0) || !(rateMbit > 0)) throw new RangeError("FANOUT_BENCH_IMAGE_MIB and FANOUT_BENCH_RATE_MBIT must be positive");

const imageBytes = Math.round(imageMib * 2 ** 20);
const rateBitsPerSecond = rateMbit * 1e6;
/** The floor for HTTP: N copies through one server link of the given rate (payload only). */
const httpFloorSeconds = (n: number) => (n * imageBytes * 8) / rateBitsPerSecond;

// The nodes' copies are in RAM (tmpfs), as a deploy ramdisk's would be before they are written
// to disk; a disk would add its own limit and other engineers' I/O to the figures.
const work = mkdtempSync("/dev/shm/fob-bench-");
// nginx's worker runs as an unprivileged user: it must be able to read the image.
chmodSync(work, 0o755);

/** Every process started here, so that any exit path can stop them by pid. */
const running = new Set<ResultPromise>();
let network: SimNetwork | undefined;

/** Runs argv, bounded by `timeoutMs` (SIGKILL), tracked until it ends. */
function start(argv: readonly string[], timeoutMs: number, log?: string): ResultPromise {
  const child = execa(argv[0]!, argv.slice(1), {
    reject: false,
    timeout: timeoutMs,
    killSignal: "SIGKILL",
    stdin: "ignore",
    ...(log ? { stdout: { file: log, append: true }, stderr: { file: log, append: true } } : {}),
  });
  running.add(child);
  void child.finally(() => running.delete(child));
  return child;
}

async function cleanUp(): Promise<void> {
  for (const child of running) child.kill("SIGKILL");
  await Promise.allSettled([...running]);
  if (network) {
    // Anything still inside a namespace was started from here (a daemonised child, if any).
    for (const host of [network.server, ...network.nodes]) {
      const pids = (await execa("ip", ["netns", "pids", host.namespace], { reject: false })).stdout.split("\n").filter(Boolean).map(Number);
      for (const pid of pids) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // already gone
        }
      }
    }
    await deleteNetwork(network);
    network = undefined;
  }
}

function writeRandomImage(path: string, bytes: number): string {
  const hash = createHash("sha256");
  const chunk = Buffer.alloc(4 * 2 ** 20);
  const fd = openSync(path, "w", 0o644);
  try {
    for (let left = bytes; left > 0; left -= chunk.length) {
      const part = chunk.subarray(0, Math.min(left, chunk.length));
      randomFillSync(part);
      writeSync(fd, part);
      hash.update(part);
    }
  } finally {
    closeSync(fd);
  }
  return hash.digest("hex");
}

/** SHA-256 of a node's copy, by sha256sum as the deploy ramdisk checks it. */
async function sha256Of(path: string, timeoutMs: number): Promise<string> {
  const result = await start(["sha256sum", path], timeoutMs);
  return String(result.stdout).split(" ")[0] ?? "";
}

interface ModeResult {
  mode: Mode;
  nodes: number;
  /** Seconds from the start until the last node had a verified image. */
  allVerifiedSeconds: number;
  /** Fastest and median node. */
  firstSeconds: number;
  medianSeconds: number;
  verified: number;
  failures: string[];
  serverTxBytes: number;
  load: LoadFigures;
  notes: string[];
}

/** One node's job in a mode: fetch to `path` and return once the bytes are all there. */
type Fetch = (node: SimHost, index: number, path: string, deadlineMs: number) => Promise<void>;

/** A mode's server side for one N: started before the nodes, stopped after them. */
interface ModeSetup {
  fetch: Fetch;
  stop: () => Promise<void>;
  notes: string[];
}

async function runMode(mode: Mode, net: SimNetwork, imageSha256: string, setUp: () => Promise<ModeSetup>): Promise<ModeResult> {
  const n = net.nodes.length;
  const dirs = net.nodes.map((_, i) => join(work, "nodes", `n${i + 1}`));
  for (const dir of dirs) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
  }
  // A mode ends by its own deadline whatever happens: three times the HTTP floor, at least two minutes.
  const deadlineMs = Math.round(Math.max(120_000, 3 * httpFloorSeconds(n) * 1000));
  const setup = await setUp();
  const txBefore = await txBytes(net.server);
  const watch = watchMachineLoad();
  const started = process.hrtime.bigint();
  const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
  const times: number[] = [];
  const failures: string[] = [];
  try {
    await Promise.all(net.nodes.map(async (node, i) => {
      const path = join(dirs[i]!, "image");
      try {
        await setup.fetch(node, i, path, deadlineMs);
        const sum = await sha256Of(path, deadlineMs);
        if (sum !== imageSha256) throw new Error(`SHA-256 ${sum || "(none)"} is not the image's`);
        times.push(seconds());
      } catch (error) {
        failures.push(`${node.namespace}: ${(error as Error).message.split("\n")[0]}`);
      }
    }));
  } finally {
    await setup.stop();
  }
  const allVerifiedSeconds = seconds();
  const load = watch.stop();
  const serverTxBytes = (await txBytes(net.server)) - txBefore;
  const keep = process.env.FANOUT_BENCH_LOGS;
  if (keep) for (const [i, dir] of dirs.entries()) if (existsSync(join(dir, "aria2c.log"))) cpSync(join(dir, "aria2c.log"), join(keep, `${mode}-${n}-n${i + 1}.log`));
  for (const dir of dirs) rmSync(join(dir, "image"), { force: true });
  times.sort((a, b) => a - b);
  return {
    mode,
    nodes: n,
    allVerifiedSeconds: times.length === n ? times.at(-1)! : allVerifiedSeconds,
    firstSeconds: times[0] ?? Number.NaN,
    medianSeconds: times[Math.floor(times.length / 2)] ?? Number.NaN,
    verified: times.length,
    failures,
    serverTxBytes,
    load,
    notes: setup.notes,
  };
}

/** nginx in the server's namespace, as the charm serves `<data dir>/images` (orchestra serve --image-base-url). */
async function startNginx(net: SimNetwork, root: string): Promise<{ url: string; stop: () => Promise<void> }> {
  const dir = join(work, "nginx");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "nginx.conf"), nginxPeerConfig({ root, port: 80, dir, connections: 4096, at: "/", address: net.server.address }));
  const nginx = start(inNamespace(net.server, ["nginx", "-c", join(dir, "nginx.conf"), "-g", "daemon off;"]), 3_600_000, join(dir, "nginx.log"));
  const url = `http://${net.server.address}/image`;
  for (let i = 0; ; i++) {
    const probe = await execa("ip", inNamespace(net.nodes[0]!, ["busybox", "wget", "-q", "--spider", url]).slice(1), { reject: false, timeout: 5000 });
    if (probe.exitCode === 0) break;
    if (i > 100) throw new Error(`nginx did not answer at ${url}`);
    await sleep(100);
  }
  return {
    url,
    stop: async () => {
      nginx.kill("SIGTERM");
      await nginx;
    },
  };
}

function httpMode(url: string): () => Promise<ModeSetup> {
  return async () => ({
    // busybox wget: the deploy ramdisk's own HTTP client (lib/images/deploy-script.ts).
    fetch: async (node, _i, path, deadlineMs) => {
      const result = await start(inNamespace(node, ["busybox", "wget", "-q", "-O", path, url]), deadlineMs);
      if (result.exitCode !== 0) throw new Error(`wget exit ${result.exitCode}${result.timedOut ? " (timed out)" : ""}: ${String(result.stderr).trim()}`);
    },
    stop: async () => {},
    notes: ["busybox wget from nginx (sendfile) in the server's namespace"],
  });
}

const mib = (bytes: number) => bytes / 2 ** 20;
const pct = (x: number) => `${(x * 100).toFixed(0)}%`;

function printResult(r: ModeResult): void {
  const ratio = r.serverTxBytes / imageBytes;
  console.log(
    `${String(r.nodes).padStart(5)}  ${r.mode.padEnd(7)} ${r.allVerifiedSeconds.toFixed(1).padStart(8)}  ${r.firstSeconds.toFixed(1).padStart(6)}  ${r.medianSeconds.toFixed(1).padStart(7)}` +
      `  ${String(r.verified).padStart(4)}/${String(r.nodes).padEnd(4)} ${mib(r.serverTxBytes).toFixed(0).padStart(9)}  ${(mib(r.serverTxBytes) / r.nodes).toFixed(2).padStart(8)}  ${ratio.toFixed(2).padStart(7)}x` +
      `  ${pct(r.load.machineBusy).padStart(5)} ${pct(r.load.peakBusy).padStart(5)}  ${(r.load.ownCpuSeconds / r.load.seconds).toFixed(2).padStart(5)}  ${r.load.loadStart.toFixed(1)}-${r.load.loadMax.toFixed(1)}`,
  );
  for (const note of r.notes) console.log(`       ${note}`);
  for (const failure of r.failures.slice(0, 5)) console.log(`       failed: ${failure}`);
  if (r.failures.length > 5) console.log(`       ... and ${r.failures.length - 5} more`);
}

async function main(): Promise<void> {
  // A run killed before its clean-up left its namespaces: remove them first (they are ours by name).
  await deleteNetwork(planNetwork(PREFIX, Math.max(...nodeCounts, 1), rateBitsPerSecond));
  const imageDir = join(work, "images");
  mkdirSync(imageDir, { recursive: true });
  const imagePath = join(imageDir, "image");
  const imageSha256 = writeRandomImage(imagePath, imageBytes);
  console.log(`image: ${imageMib} MiB of random bytes (incompressible), SHA-256 ${imageSha256.slice(0, 16)}...`);
  console.log(`links: server and every node ${rateMbit} Mbit/s each way (tbf on both veth ends), one bridge; HTTP floor = N x image / server link`);
  console.log(`machine: ${(await import("node:os")).cpus().length} cores; load average now ${(await import("node:fs")).readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ")}`);
  console.log("\nnodes  mode     all-ok s  first s  median s  verified  server MiB  MiB/node  x image  busy  peak  bench-cores  load");
  const results: ModeResult[] = [];
  for (const n of nodeCounts) {
    const net = planNetwork(PREFIX, n, rateBitsPerSecond);
    network = net;
    const createdAt = Date.now();
    await createNetwork(net);
    const setupSeconds = (Date.now() - createdAt) / 1000;
    const nginx = await startNginx(net, imageDir);
    try {
      for (const mode of modes) {
        const setUp = mode === "http" ? httpMode(nginx.url) : fanoutMode(net, imagePath, nginx.url);
        const result = await runMode(mode, net, imageSha256, setUp);
        results.push(result);
        printResult(result);
      }
    } finally {
      await nginx.stop();
      await cleanUp();
    }
    console.log(`       (${n} namespaces + switch created in ${setupSeconds.toFixed(1)} s; HTTP floor ${httpFloorSeconds(n).toFixed(1)} s)`);
  }
  summarise(results);
}

function summarise(results: readonly ModeResult[]): void {
  const of = (mode: Mode) => results.filter((r) => r.mode === mode && r.verified === r.nodes);
  console.log("\ngrowth from the smallest N to each larger N (time to all verified, server bytes):");
  for (const mode of modes) {
    const rows = of(mode);
    if (rows.length < 2) continue;
    const base = rows[0]!;
    for (const row of rows.slice(1)) {
      console.log(`  ${mode.padEnd(7)} N ${base.nodes} -> ${row.nodes}: time x${(row.allVerifiedSeconds / base.allVerifiedSeconds).toFixed(2)}, server bytes x${(row.serverTxBytes / base.serverTxBytes).toFixed(2)} (server total ${(row.serverTxBytes / imageBytes).toFixed(2)}x the image)`);
    }
  }
  if (!svgPath || of("http").length + of("fanout").length === 0) return;
  const colours: Record<Mode, string> = { http: "#c0392b", fanout: "#2471a3" };
  const names: Record<Mode, string> = { http: "HTTP from the server", fanout: "fan-out (lib/fanout + aria2c)" };
  const series = (y: (r: ModeResult) => number) => modes.filter((m) => of(m).length > 0).map((m) => ({ name: names[m], colour: colours[m], points: of(m).map((r) => [r.nodes, y(r)] as const) }));
  mkdirSync(join(svgPath, ".."), { recursive: true });
  writeFileSync(
    svgPath,
    renderPlot(
      [
        { title: "Time until every node has a verified image", xLabel: "nodes (N)", yLabel: "seconds", series: series((r) => r.allVerifiedSeconds) },
        { title: "Bytes the server sent", xLabel: "nodes (N)", yLabel: "image sizes", series: series((r) => r.serverTxBytes / imageBytes) },
      ],
      `npm run bench -- fanout: ${imageMib} MiB random image, server and nodes ${rateMbit} Mbit/s each (tc tbf on veth pairs), network namespaces on one 2-core machine`,
    ),
  );
  console.log(`\nplot written to ${svgPath}`);
}

/** The fan-out knobs this run uses (FANOUT_BENCH_* environment; unset, the product's defaults). */
const knobs = {
  /** The server's nginx as a web seed in the torrent (BEP 19): off in the product. */
  webSeed: process.env.FANOUT_BENCH_WEB_SEED === "1",
  /** Piece length in KiB; unset, chooseTorrentPieceLength of the image's size. */
  pieceLength: process.env.FANOUT_BENCH_PIECE_KIB ? Number(process.env.FANOUT_BENCH_PIECE_KIB) * 1024 : undefined,
  /** The server seeder's upload cap as a share of its link (0 or unset: none). */
  seederUploadShare: Number(process.env.FANOUT_BENCH_SEEDER_SHARE ?? 0),
  /** Extra aria2c options for the nodes, space-separated (measuring options the product does not set). */
  extraNodeArgs: (process.env.FANOUT_BENCH_ARIA2_NODE ?? "").split(" ").filter(Boolean),
};

const TRACKER_PORT = 6969;
const PEER_PORT = 6881;

/** Starts argv and resolves with the first stdout line matching `ready` (rejects if it ends first). */
function startAndWait(argv: readonly string[], timeoutMs: number, ready: RegExp, log: string): Promise<{ child: ResultPromise; line: string }> {
  const child = execa(argv[0]!, argv.slice(1), { reject: false, timeout: timeoutMs, killSignal: "SIGKILL", stdin: "ignore", stdout: ["pipe", { file: log, append: true }], stderr: { file: log, append: true }, buffer: { stdout: false } });
  running.add(child);
  void child.finally(() => running.delete(child));
  return new Promise((resolve, reject) => {
    let pending = "";
    child.stdout!.setEncoding("utf8");
    child.stdout!.on("data", (chunk: string) => {
      const lines = (pending + chunk).split("\n");
      pending = lines.pop()!;
      const line = lines.find((l) => ready.test(l));
      if (line !== undefined) resolve({ child, line });
    });
    void child.then((result) => reject(new Error(`${argv.find((a) => a === "aria2c" || a.endsWith(".ts")) ?? argv[0]} ended (exit ${result.exitCode ?? result.signal}${result.timedOut ? ", timed out" : ""}) before it was ready; see its log`)));
  });
}

function fanoutMode(net: SimNetwork, imagePath: string, webSeedUrl: string): () => Promise<ModeSetup> {
  return async () => {
    const dir = join(work, "fanout");
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    // One deployment token per node, as the product hands each deploying node its own; the
    // seeder has one too. The tracker admits these and nothing else.
    const tokens = net.nodes.map(() => randomBytes(16).toString("hex"));
    const seederToken = randomBytes(16).toString("hex");
    writeFileSync(join(dir, "tokens"), [...tokens, seederToken].join("\n") + "\n");
    const trackerUrl = `http://${net.server.address}:${TRACKER_PORT}`;
    const torrentOf = (token: string) =>
      createImageTorrent({
        path: imagePath,
        name: "image",
        announceUrl: fanoutAnnounceUrl(trackerUrl, token),
        ...(knobs.webSeed ? { webSeedUrls: [webSeedUrl] } : {}),
        ...(knobs.pieceLength ? { pieceLength: knobs.pieceLength } : {}),
        cachePath: join(dir, "image.info"),
      });
    const seederTorrent = await torrentOf(seederToken);
    writeFileSync(join(dir, "seeder.torrent"), seederTorrent.torrent);
    for (const [i, token] of tokens.entries()) writeFileSync(join(dir, `n${i + 1}.torrent`), (await torrentOf(token)).torrent);

    const trackerScript = new URL("./_fanout-tracker.ts", import.meta.url).pathname;
    const tracker = await startAndWait(inNamespace(net.server, [process.execPath, trackerScript, net.server.address, String(TRACKER_PORT), seederTorrent.infoHash, join(dir, "tokens")]), 3_600_000, /^listening /, join(dir, "tracker.log"));
    const seederLog = join(dir, "seeder.log");
    const seederArgs = aria2SeedArguments({
      torrent: join(dir, "seeder.torrent"),
      dir: join(imagePath, ".."),
      listenPort: PEER_PORT,
      unverified: true,
      ...(knobs.seederUploadShare > 0 ? { maxUploadBytesPerSecond: (knobs.seederUploadShare * rateBitsPerSecond) / 8 } : {}),
    });
    // The seeder prints nothing until something is wrong (console level warn): it is ready once it listens.
    const seeder = start(inNamespace(net.server, ["aria2c", ...seederArgs]), 3_600_000, seederLog);
    await waitForListener(net.server, PEER_PORT);
    const nodes: ResultPromise[] = [];
    return {
      fetch: async (node, i, path, deadlineMs) => {
        const args = aria2DownloadArguments({
          torrent: join(dir, `n${i + 1}.torrent`),
          dir: join(path, ".."),
          listenPort: PEER_PORT,
          stallSeconds: 60,
          // Seed until the benchmark stops it: until every node is done (the product stops sooner: once its image is written and reported).
          seedSeconds: deadlineMs / 1000,
        });
        // The benchmark's only addition: aria2c runs its --on-bt-download-complete hook once
        // every piece is in and checked, before seeding; echo prints "GID 1 PATH" on aria2c's stdout.
        const { child } = await startAndWait(inNamespace(node, ["aria2c", ...args, "--on-bt-download-complete=/bin/echo", ...knobs.extraNodeArgs]), deadlineMs, /^[0-9a-f]{16} 1 \//, join(path, "..", "aria2c.log"));
        nodes.push(child);
      },
      stop: async () => {
        for (const child of [...nodes, seeder]) child.kill("SIGKILL");
        tracker.child.kill("SIGTERM");
        await Promise.allSettled([...nodes, seeder, tracker.child]);
      },
      notes: [
        `torrent: ${seederTorrent.pieces} pieces of ${seederTorrent.pieceLength / 1024} KiB, private; web seed ${knobs.webSeed ? "on" : "off"}; seeder upload ${knobs.seederUploadShare > 0 ? `capped at ${pct(knobs.seederUploadShare)} of its link` : "uncapped"}` +
          (knobs.extraNodeArgs.length ? `; nodes also ${knobs.extraNodeArgs.join(" ")}` : ""),
      ],
    };
  };
}

/** Waits until something in the host's namespace listens on TCP `port`. */
async function waitForListener(host: SimHost, port: number): Promise<void> {
  for (let i = 0; i < 300; i++) {
    const result = await execa("ss", ["-N", host.namespace, "-Htln", `sport = :${port}`], { reject: false });
    if (result.stdout.trim()) return;
    await sleep(100);
  }
  throw new Error(`nothing listens on ${host.address}:${port}`);
}

// Bounded: whatever happens, everything started here stops, and the namespaces and files go.
let stopping = false;
async function stopNow(reason: string, code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    console.error(reason);
    await cleanUp().catch((error: Error) => console.error(`clean-up: ${error.message}`));
    rmSync(work, { recursive: true, force: true });
  }
  process.exit(code);
}
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, () => void stopNow(`stopped by ${signal}`, 1));
const limit = setTimeout(() => void stopNow("benchmark took too long (60 minutes); stopping", 1), 60 * 60_000);
limit.unref();
try {
  await main();
} finally {
  await cleanUp();
  clearTimeout(limit);
  if (existsSync(work)) rmSync(work, { recursive: true, force: true });
}
