/**
 * Benchmark: the boot path at scale. Prints figures; not a timed test.
 *
 * 1. Boot-file throughput: C concurrent clients (C = 100, 1,000) each fetch the discovery
 *    kernel and initrd, from `orchestra serve` and, in the same run, from three peers on the
 *    same files: nginx with sendfile (its production setting), nginx with sendfile off (it then
 *    copies every byte through user space, as a Node server must: the floor without sendfile),
 *    and a bare node:http server writing each file from one held Buffer (_boot-file-floor.ts:
 *    Node's own floor). One process each: one event loop apiece.
 * 2. Adding one machine to the boot/DHCP data (inventory row + its dnsmasq host file) when
 *    the inventory already holds 10, 1,000 and 10,000 machines; it must stay flat.
 *
 * Run as: node tests/bench/boot-http.ts   (needs nginx-light or nginx installed, and dist/:
 * `npm run build`). Knobs (environment): BOOT_HTTP_CLIENTS=100,1000 (the client counts, in
 * order), BENCH_SKIP_SCALE=1 (skips part 2).
 *
 * `orchestra serve` runs from the built CLI (dist/, what bin/orchestra and the charm run), not
 * from the TypeScript source: Node's type stripping and the source's larger modules cost about
 * 30 MiB of RSS and some CPU that production never pays, and the RSS is one of the figures.
 * It gets the Node flags production gives it (lib/server/serve-node-flags.ts).
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { Client } from "undici";
import { buildDiscoveryImage } from "../../lib/images/build-discovery.ts";
import { imagesDir } from "../../lib/images/image-store.ts";
import { writeDhcpHost } from "../../lib/boot/dhcp-host-file.ts";
import { Inventory } from "../../lib/inventory/inventory.ts";
import { openStore } from "../../lib/store/open-store.ts";
import { startDetached, stopProcess } from "../../lib/lab/lab-processes.ts";
import { nginxPeerConfig } from "./_nginx-peer.ts";
import { SERVE_NODE_FLAGS } from "../../lib/server/serve-node-flags.ts";
import { cpuSeconds, peakRssMib } from "./_process-usage.ts";
import { freeTcpPort } from "../helpers/free-port.ts";

const BUILT_CLI = new URL("../../dist/cli/main.js", import.meta.url).pathname;
if (!existsSync(BUILT_CLI)) throw new Error("dist/ is missing: run `npm run build` first (the benchmark runs the bundled CLI, dist/cli/, as bin/orchestra does)");
const FLOOR_SERVER = new URL("./_boot-file-floor.ts", import.meta.url).pathname;
const CLIENT_COUNTS = (process.env.BOOT_HTTP_CLIENTS ?? "100,1000").split(",").map(Number);
if (CLIENT_COUNTS.some((n) => !Number.isInteger(n) || n < 1)) throw new Error(`BOOT_HTTP_CLIENTS: whole numbers, comma-separated (got ${process.env.BOOT_HTTP_CLIENTS})`);

const work = mkdtempSync(join(tmpdir(), "orchestra-bench-"));
// nginx's worker runs as an unprivileged user: it must be able to read the image files.
chmodSync(work, 0o755);
const stops: Array<() => Promise<unknown>> = [];

function mac(n: number): string {
  const hex = n.toString(16).padStart(6, "0");
  return `52:54:01:${hex.slice(0, 2)}:${hex.slice(2, 4)}:${hex.slice(4, 6)}`;
}

async function waitFor(url: string): Promise<void> {
  for (let i = 0; i < 150; i++) {
    try {
      const response = await fetch(url);
      await response.arrayBuffer();
      if (response.ok) return;
    } catch {
      // not up yet
    }
    await sleep(100);
  }
  throw new Error(`${url} did not come up`);
}

/**
 * C clients, each on its own connection from its own loopback address (127/8), as machines
 * on a network are (the boot listener caps connections per source address), each fetching
 * every path once; returns seconds and bytes.
 */
async function load(origin: string, paths: readonly string[], clients: number): Promise<{ seconds: number; bytes: number; failures: number; retries: number }> {
  let bytes = 0;
  let failures = 0;
  let retries = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: clients }, async (_, i) => {
      const pool = new Client(origin, { localAddress: `127.${200 + Math.floor(i / 62_500)}.${Math.floor(i / 250) % 250}.${(i % 250) + 1}`, pipelining: 1, bodyTimeout: 120_000, headersTimeout: 120_000 });
      for (const path of paths) {
        try {
          // A kept-alive connection the server closed before answering is retried once on a new
          // one, as HTTP clients (iPXE's pooled connections too) do for a GET: the server's
          // keep-alive wait starts when the last bytes of the previous file enter the kernel's
          // socket buffers, and on loopback, with 1,000 clients sharing the cores, draining those
          // megabytes can take longer than Orchestra's 15 s (nginx waits 75 s).
          const ask = () => pool.request({ method: "GET", path });
          const { statusCode, body } = await ask().catch((error: { code?: string }) => {
            if (error.code !== "UND_ERR_SOCKET") throw error;
            retries++;
            return ask();
          });
          for await (const chunk of body) bytes += (chunk as Buffer).length;
          if (statusCode !== 200) failures++;
        } catch {
          failures++;
        }
      }
      await pool.close();
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { seconds, bytes, failures, retries };
}

async function throughput(): Promise<void> {
  const dataDir = join(work, "data");
  const image = await buildDiscoveryImage(dataDir);
  const size = image.files.kernel.sizeBytes + image.files.initrd.sizeBytes;
  console.log(`files: kernel ${image.files.kernel.sizeBytes} B + initrd ${image.files.initrd.sizeBytes} B = ${(size / 2 ** 20).toFixed(1)} MiB per client, from ${imagesDir(dataDir)}`);

  // Free ports from the kernel, not drawn at random: a drawn port can be another server's (EADDRINUSE).
  const [oursPort, nginxPort, copyingNginxPort, floorPort] = [await freeTcpPort(), await freeTcpPort(), await freeTcpPort(), await freeTcpPort()];
  const serve = await startDetached("serve", [process.execPath, ...SERVE_NODE_FLAGS, BUILT_CLI, "serve", "--data-dir", dataDir, "--boot-listen", `127.0.0.1:${oursPort}`, "--api-listen", "127.0.0.1:0", "--log-level", "warn"], join(work, "serve.log"));
  stops.push(() => stopProcess(serve));
  const startNginx = async (name: string, port: number, sendfile: boolean) => {
    const dir = join(work, name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "nginx.conf"), nginxPeerConfig({ root: imagesDir(dataDir), port, dir, connections: 4096, at: "/", sendfile }));
    const nginx = await startDetached(name, ["nginx", "-c", join(dir, "nginx.conf"), "-g", "daemon off;"], join(work, `${name}.log`));
    stops.push(() => stopProcess(nginx));
    await waitFor(`http://127.0.0.1:${port}/${image.id}/initrd`).catch(async (error: Error) => {
      throw new Error(`${error.message}\n${await readFile(join(dir, "nginx-error.log"), "utf8").catch(() => "")}${await readFile(join(work, `${name}.log`), "utf8").catch(() => "")}`);
    });
    return nginx;
  };
  const nginx = await startNginx("nginx", nginxPort, true);
  const copyingNginx = await startNginx("nginx-copying", copyingNginxPort, false);
  const floor = await startDetached("node-floor", [process.execPath, ...SERVE_NODE_FLAGS, FLOOR_SERVER, imagesDir(dataDir), String(floorPort)], join(work, "node-floor.log"));
  stops.push(() => stopProcess(floor));
  // The floor holds each file from its first request on: ask for both before measuring.
  for (const file of ["kernel", "initrd"]) await waitFor(`http://127.0.0.1:${floorPort}/${image.id}/${file}`);

  await waitFor(`http://127.0.0.1:${oursPort}/healthz`);

  const idleRss = await peakRssMib(serve.pid);
  console.log(`orchestra serve RSS before any client (peak so far): ${idleRss.toFixed(0)} MiB`);

  const filePaths = (prefix: string) => [`${prefix}/${image.id}/kernel`, `${prefix}/${image.id}/initrd`];
  const servers = [
    { name: "orchestra", origin: `http://127.0.0.1:${oursPort}`, paths: filePaths("/images"), pid: serve.pid },
    { name: "node floor", origin: `http://127.0.0.1:${floorPort}`, paths: filePaths(""), pid: floor.pid },
    { name: "nginx", origin: `http://127.0.0.1:${nginxPort}`, paths: filePaths(""), pid: nginx.pid },
    { name: "nginx copy", origin: `http://127.0.0.1:${copyingNginxPort}`, paths: filePaths(""), pid: copyingNginx.pid },
  ];
  console.log("\nboot-file throughput (each client: kernel + initrd, its own connection)");
  console.log("(the load generator shares the machine's cores with the servers; server CPU per GiB is the steadier figure)");
  console.log("node floor: bare node:http, each file one held Buffer, one res.end() per file (_boot-file-floor.ts)");
  console.log("nginx: sendfile (the kernel copies page cache to socket); nginx copy: sendfile off, 1 MiB buffers (reads into user space and writes out, as a Node server must)");
  console.log("clients  server      seconds   MiB/s     files/s  failures  retries  server CPU s/GiB");
  for (const clients of CLIENT_COUNTS) {
    const cpu: Record<string, number> = {};
    const rate: Record<string, number> = {};
    for (const { name, origin, paths, pid } of servers) {
      const cpuBefore = await cpuSeconds(pid);
      const r = await load(origin, paths, clients);
      const cpuUsed = (await cpuSeconds(pid)) - cpuBefore;
      if (r.failures === 0 && r.bytes !== clients * size) throw new Error(`${name}: short read (${r.bytes} of ${clients * size} bytes)`);
      rate[name] = r.bytes / 2 ** 20 / r.seconds;
      cpu[name] = cpuUsed / (r.bytes / 2 ** 30);
      console.log(`${String(clients).padStart(7)}  ${name.padEnd(10)} ${r.seconds.toFixed(2).padStart(8)}  ${rate[name]!.toFixed(0).padStart(7)}  ${((clients * 2) / r.seconds).toFixed(0).padStart(9)}  ${String(r.failures).padStart(8)}  ${String(r.retries).padStart(7)}  ${cpu[name]!.toFixed(2).padStart(16)}`);
    }
    const rss = await peakRssMib(serve.pid);
    const ratio = (peer: string) => (cpu.orchestra! / cpu[peer]!).toFixed(1);
    console.log(`         orchestra/nginx: throughput ${(rate.orchestra! / rate.nginx!).toFixed(2)}x; CPU per GiB ${ratio("nginx")}x nginx, ${ratio("nginx copy")}x nginx copy, ${ratio("node floor")}x node floor (node floor/nginx copy ${(cpu["node floor"]! / cpu["nginx copy"]!).toFixed(1)}x); orchestra serve peak RSS so far ${Number.isNaN(rss) ? "?" : rss.toFixed(0)} MiB`);
  }
}

async function addMachineCost(): Promise<void> {
  console.log("\nadding one machine to boot/DHCP data (inventory row + dnsmasq host file), by inventory size");
  console.log("machines  adds  median ms  p95 ms  max ms");
  // Warm up the JIT and SQLite on a scratch store first, so the smallest size is not charged for it.
  {
    const db = await openStore(join(work, "warm-up"));
    const inventory = new Inventory(db);
    for (let i = 0; i < 200; i++) await inventory.addMachine({ interfaces: [{ mac: mac(0xf00000 + i) }], power: { type: "manual" } }, "warm-up");
    await db.close();
  }
  for (const size of (process.env.BENCH_SKIP_SCALE ? [] : [10, 1000, 10_000])) {
    const dir = join(work, `scale-${size}`);
    const db = await openStore(dir);
    const inventory = new Inventory(db);
    const hostsDir = join(dir, "hosts.d");
    await import("node:fs/promises").then((fs) => fs.mkdir(hostsDir, { recursive: true }));
    let n = 0;
    const add = async () => {
      const address = mac(++n);
      const machine = await inventory.addMachine({ interfaces: [{ mac: address }], cpus: 4, memoryMib: 8192, disks: [{ sizeBytes: 100 * 1024 ** 3 }], power: { type: "manual" } }, "benchmark");
      await writeDhcpHost(hostsDir, { mac: address, hostname: machine.hostname });
    };
    while (n < size) await add();
    const samples: number[] = [];
    for (let i = 0; i < 200; i++) {
      const started = process.hrtime.bigint();
      await add();
      samples.push(Number(process.hrtime.bigint() - started) / 1e6);
    }
    samples.sort((a, b) => a - b);
    const at = (q: number) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))]!;
    console.log(`${String(size).padStart(8)}  ${String(samples.length).padStart(4)}  ${at(0.5).toFixed(3).padStart(9)}  ${at(0.95).toFixed(3).padStart(6)}  ${samples.at(-1)!.toFixed(3).padStart(6)}`);
    await db.close();
  }
}

// Bounded: whatever happens, everything started here stops within two minutes of the limit.
const limit = setTimeout(() => {
  console.error("benchmark took too long; stopping");
  void Promise.all(stops.map((stop) => stop())).finally(() => process.exit(1));
}, 25 * 60_000);
try {
  await throughput();
  await addMachineCost();
} finally {
  for (const stop of stops.reverse()) await stop();
  clearTimeout(limit);
  rmSync(work, { recursive: true, force: true });
}
