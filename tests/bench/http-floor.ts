/**
 * Benchmark: the server thread's CPU per request on Orchestra's two listeners (the boot
 * listener and the EC2 API), route by route, beside a bare node:http server on the same
 * loopback answering the same health check: what the HTTP layer (fastify, hooks, loggers,
 * reply serialisation) costs on top of node's own.
 *
 * The server runs on this thread as `orchestra serve` assembles it (startServer, serve's
 * `info` log level, to a file); the client is a worker thread (_http-floor-client.ts) that
 * sends one request at a time over one kept-alive connection. Per route: a warm-up, then
 * ROUNDS rounds of REQUESTS requests, each measured as this thread's own CPU
 * (process.threadCpuUsage): the median and the range are printed. No engine runs, so
 * nothing else is on the thread. Everything started here is stopped here.
 *
 * The client is undici's Pool; /healthz is also sent with fetch, as the deploy benchmark's
 * floor sends it: fetch's requests (more headers, a slower client between requests) cost the
 * server's thread more even on the bare node:http server, so that floor is mostly node's.
 * And with a new connection per request, as a node's busybox wget and cloud-init make them.
 *
 * The EC2 calls a deployment makes are measured too, on an account of their own: a
 * DescribeInstances of one instance id (what a client polls until `running`) and a
 * RunInstances of one instance (Juju launches one a call). Every RunInstances allocates and
 * starts deploying a machine (fake power, on the real path: no engine runs, so it stays
 * `deploying`), so that case sends fewer requests and has a ready machine for each.
 *
 *   node tests/bench/http-floor.ts [word...]   (npm run bench -- http-floor; words pick routes by name)
 *
 * With FLOOR_CPU_PROFILE=DIR, each route's measured rounds (not its warm-up) are also
 * profiled on the server's thread (the inspector's Profiler, 50 µs samples) into
 * DIR/<route>.cpuprofile, for tests/bench/_cpu-profile-breakdown.ts or a browser's devtools.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { Session } from "node:inspector/promises";
import { createServer, type Server } from "node:http";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { createServerLogger, serverLogDestination } from "../../lib/server/server-logger.ts";
import { CredentialStore } from "../../lib/ec2/credentials/credential-store.ts";
import { loadOrCreateSecretKey, SECRET_KEY_FILE, secretBox } from "../../lib/ec2/credentials/secret-box.ts";
import { DEFAULT_TOPOLOGY } from "../../lib/ec2/model/ec2-services.ts";
import { Inventory } from "../../lib/inventory/index.ts";
import { startServer, type RunningServer } from "../../lib/server/orchestra-server.ts";
import { openStore } from "../../lib/store/open-store.ts";
import type { SqlDatabase } from "../../lib/store/sql-database.ts";
import { addOsImage, deployingMachine, gz, makeDiskImage } from "../deploy/deploy-fixture.ts";
import { formEncode, signHeaders } from "../ec2/helpers/smithy-signer.ts";
import type { FloorAnswer, FloorCase, FloorMessage } from "./_http-floor-client.ts";

const REQUESTS = Number(process.env.FLOOR_REQUESTS ?? 1000);
const ROUNDS = Number(process.env.FLOOR_ROUNDS ?? 5);
const WARM_UP = 500;
/** RunInstances allocates a machine each time: its own, smaller counts, and a ready machine for every call. */
const LAUNCH_REQUESTS = Number(process.env.FLOOR_LAUNCH_REQUESTS ?? 200);
const LAUNCH_WARM_UP = 100;
const WATCHDOG_MS = 5 * 60_000;
const PROFILE_DIR = process.env.FLOOR_CPU_PROFILE;

const dataDir = mkdtempSync(join(tmpdir(), "orchestra-bench-http-floor-"));
const client = new Worker(new URL("./_http-floor-client.ts", import.meta.url));
let server: RunningServer | undefined;
let bare: Server | undefined;
let db: SqlDatabase | undefined;

async function stopAll(): Promise<void> {
  client.postMessage({ type: "stop" } satisfies FloorMessage);
  await client.terminate();
  await server?.close().catch(() => undefined);
  await new Promise<void>((resolveClose) => (bare ? bare.close(() => resolveClose()) : resolveClose()));
  await db?.close().catch(() => undefined);
  rmSync(dataDir, { recursive: true, force: true });
}

const watchdog = setTimeout(() => {
  process.stderr.write(`bench: watchdog fired after ${WATCHDOG_MS / 1000} s; stopping\n`);
  void stopAll().finally(() => process.exit(2));
}, WATCHDOG_MS);

/** Send `request` `count` times from the client thread; answers this thread's CPU meanwhile, in µs. */
function send(request: FloorCase, count: number): Promise<number> {
  return new Promise((resolveRun, reject) => {
    const thread = process.threadCpuUsage();
    client.once("message", (answer: FloorAnswer) => {
      const used = process.threadCpuUsage(thread);
      if (answer.type === "done") resolveRun(used.user + used.system);
      else reject(new Error(`client thread: ${answer.message}`));
    });
    client.postMessage({ type: "run", request, count } satisfies FloorMessage);
  });
}

/** A route to measure, and how many requests (default REQUESTS a round after WARM_UP). */
interface MeasuredCase {
  readonly request: FloorCase;
  readonly requests?: number;
  readonly warmUp?: number;
}

/** Per-request CPU (µs) of each round, after a warm-up; profiled into PROFILE_DIR/<name>.cpuprofile when asked. */
async function measure(name: string, { request, requests = REQUESTS, warmUp = WARM_UP }: MeasuredCase): Promise<number[]> {
  await send(request, warmUp);
  const profiler = PROFILE_DIR === undefined ? undefined : new Session();
  if (profiler) {
    profiler.connect();
    await profiler.post("Profiler.enable");
    await profiler.post("Profiler.setSamplingInterval", { interval: Number(process.env.FLOOR_CPU_PROFILE_INTERVAL ?? 50) });
    await profiler.post("Profiler.start");
  }
  const rounds: number[] = [];
  for (let r = 0; r < ROUNDS; r++) rounds.push((await send(request, requests)) / requests);
  if (profiler) {
    const { profile } = await profiler.post("Profiler.stop");
    profiler.disconnect();
    await mkdir(PROFILE_DIR!, { recursive: true });
    await writeFile(join(PROFILE_DIR!, `${name.replace(/[^A-Za-z0-9]+/g, "-").replace(/^-|-$/g, "")}.cpuprofile`), JSON.stringify(profile));
  }
  return rounds.sort((a, b) => a - b);
}

/** Routes to measure: those whose name holds one of the command line's words (all without any). */
const only = process.argv.slice(2);
const load = () => loadavg().map((l) => l.toFixed(1)).join(" ");

try {
  db = await openStore(dataDir);
  // The server's inventory deploys fake machines on the real path (as the deploy benchmark's);
  // the setup's own commissions them at once.
  const inventory = new Inventory(db, { fakeCompletesAtOnce: false });
  const setup = new Inventory(db);
  const work = join(dataDir, "bench-work");
  await mkdir(work, { recursive: true });
  const image = await addOsImage(dataDir, work, gz((await makeDiskImage(work, { bulkMiB: 1 })).raw));
  // A machine in the middle of a deployment: its boot script, plan, seed, progress and NoCloud calls all answer.
  const deploying = await deployingMachine(inventory, image);
  const mac = (await inventory.getMachine(deploying.systemId)).interfaces[0]!.mac;
  const credentials = new CredentialStore(db, secretBox(await loadOrCreateSecretKey(join(dataDir, SECRET_KEY_FILE))));
  const key = await credentials.create("bench");
  // The launches' own account, so "DescribeInstances (none)" still has nothing to list.
  const launcher = await credentials.create("bench-launch");
  const launches = LAUNCH_WARM_UP + ROUNDS * LAUNCH_REQUESTS + 1;
  for (let i = 0; i < launches; i++) {
    const m = await setup.addMachine({ interfaces: [{ mac: `52:54:03:00:${(i >> 8).toString(16).padStart(2, "0")}:${(i & 0xff).toString(16).padStart(2, "0")}` }], cpus: 4, memoryMib: 8192, disks: [{ name: "sda", sizeBytes: 100 * 1024 ** 3 }], power: { type: "fake" } });
    await setup.accept(m.systemId);
  }
  const logger = createServerLogger("info", serverLogDestination(join(dataDir, "server.log")));
  const loopback = { host: "127.0.0.1", port: 0 };
  server = await startServer({ inventory, logger, bootListen: loopback, dataDir, ec2: { listen: loopback, credentials, topology: DEFAULT_TOPOLOGY } });
  const boot = `http://127.0.0.1:${server.addresses.boot.port}`;
  const ec2Host = `127.0.0.1:${server.addresses.ec2!.port}`;
  // The peer: node's own server, answering the same health check (the same `SELECT 1`).
  bare = createServer((_request, response) => {
    void db!.get("SELECT 1 AS ok").then(() => response.writeHead(200, { "content-type": "application/json; charset=utf-8" }).end('{"status":"ok"}'));
  });
  await new Promise<void>((resolveListen) => bare!.listen(0, "127.0.0.1", () => resolveListen()));
  const bareOrigin = `http://127.0.0.1:${(bare.address() as { port: number }).port}`;
  // One signed DescribeInstances, replayed (SigV4 allows it within its 15 minutes).
  const describe = formEncode({ Action: "DescribeInstances", Version: "2016-11-15" });
  const describeHeaders = await signHeaders({ host: ec2Host, body: describe, accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey, region: DEFAULT_TOPOLOGY.region });
  const ec2Origin = `http://${ec2Host}`;
  const signedAs = async (params: Record<string, string>, as = launcher) => {
    const body = formEncode({ ...params, Version: "2016-11-15" });
    return { body, headers: await signHeaders({ host: ec2Host, body, accessKeyId: as.accessKeyId, secretAccessKey: as.secretAccessKey, region: DEFAULT_TOPOLOGY.region }) };
  };
  // No ClientToken: a replayed token would answer the first reservation instead of launching.
  const launch = await signedAs({ Action: "RunInstances", ImageId: image.id, InstanceType: "t2.micro", MinCount: "1", MaxCount: "1" });
  // One instance to describe by id, launched through the API as a client's would be.
  const launched = await fetch(`${ec2Origin}/`, { method: "POST", headers: launch.headers, body: launch.body });
  const instanceId = /<instanceId>(i-[0-9a-f]+)<\/instanceId>/.exec(await launched.text())?.[1];
  if (launched.status !== 200 || instanceId === undefined) throw new Error(`RunInstances for the DescribeInstances case: HTTP ${launched.status}`);
  const describeOne = await signedAs({ Action: "DescribeInstances", "InstanceId.1": instanceId });
  const deployPath = `/deploy/${deploying.token}`;
  // The plan moves the deployment to writing, so progress posts count.
  await send({ origin: boot, method: "GET", path: `${deployPath}/plan`, status: 200 }, 1);
  const cases: Array<[string, FloorCase | MeasuredCase]> = [
    ["node:http /healthz (peer)", { origin: bareOrigin, method: "GET", path: "/healthz", status: 200 }],
    ["GET /healthz", { origin: boot, method: "GET", path: "/healthz", status: 200 }],
    // The deploy benchmark's floor sends /healthz with fetch: that client alone makes the server's side cost more.
    ["node:http /healthz (peer), fetch", { origin: bareOrigin, method: "GET", path: "/healthz", status: 200, fetch: true }],
    ["GET /healthz, fetch", { origin: boot, method: "GET", path: "/healthz", status: 200, fetch: true }],
    // Nodes' own clients (busybox wget, cloud-init) open a connection per request.
    ["node:http /healthz (peer), new conn.", { origin: bareOrigin, method: "GET", path: "/healthz", status: 200, fresh: true }],
    ["GET /healthz, new connection", { origin: boot, method: "GET", path: "/healthz", status: 200, fresh: true }],
    ["GET /no-such-path (404)", { origin: boot, method: "GET", path: "/no-such-path", status: 404 }],
    ["GET /boot.ipxe (info line)", { origin: boot, method: "GET", path: "/boot.ipxe", status: 200 }],
    ["GET /boot/<mac>.ipxe (deploying)", { origin: boot, method: "GET", path: `/boot/${mac}.ipxe`, status: 200 }],
    ["GET /deploy/<token>/seed", { origin: boot, method: "GET", path: `${deployPath}/seed`, status: 200 }],
    ["POST /deploy/<token>/progress", { origin: boot, method: "POST", path: `${deployPath}/progress`, headers: { "content-type": "application/x-www-form-urlencoded" }, body: "bytes=1024", status: 204 }],
    ["GET /nocloud/<secret>/meta-data", { origin: boot, method: "GET", path: `/nocloud/${deploying.nocloudSecret}/meta-data`, status: 200 }],
    ["POST / DescribeInstances (EC2, none)", { origin: ec2Origin, method: "POST", path: "/", headers: describeHeaders, body: describe, status: 200 }],
    ["POST / DescribeInstances (EC2, one id)", { origin: ec2Origin, method: "POST", path: "/", headers: describeOne.headers, body: describeOne.body, status: 200 }],
    ["POST / RunInstances (EC2, one)", { request: { origin: ec2Origin, method: "POST", path: "/", headers: launch.headers, body: launch.body, status: 200 }, requests: LAUNCH_REQUESTS, warmUp: LAUNCH_WARM_UP }],
  ];
  const loadBefore = load();
  const lines = ["", `HTTP floor: the server thread's CPU per request, ${ROUNDS} rounds of ${REQUESTS} sequential requests over one kept-alive connection (unless the route says otherwise), after ${WARM_UP} warm-up requests (RunInstances: ${LAUNCH_REQUESTS} a round after ${LAUNCH_WARM_UP})`, "route | µs per request: median (min-max)"];
  for (const [name, measured] of cases.filter(([name]) => only.length === 0 || only.some((word) => name.includes(word)))) {
    const rounds = await measure(name, "request" in measured ? measured : { request: measured });
    lines.push(`${name.padEnd(38)} | ${rounds[Math.floor(rounds.length / 2)]!.toFixed(0).padStart(4)} (${rounds[0]!.toFixed(0)}-${rounds.at(-1)!.toFixed(0)})`);
  }
  lines.push(`load average (1/5/15 min) before ${loadBefore}, after ${load()}`);
  process.stdout.write(lines.join("\n") + "\n");
} finally {
  clearTimeout(watchdog);
  await stopAll();
}
