/**
 * Fan-out end to end on this host, no VMs: a real server with --fanout's parts (the tracker
 * as its own `orchestra fanout tracker` process, aria2c seeders), and the ramdisk's real
 * deploy program (busybox, aria2c, a file as the disk) for two nodes deploying one image at
 * once. Then the tracker is killed by its pid and deployments still finish over HTTP, and a
 * peer that serves corrupt pieces (a tampered copy, seeded under a live token) is caught.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startImageSeeder } from "../../lib/fanout/index.ts";
import { Inventory } from "../../lib/inventory/index.ts";
import { fanoutTrackerPidFile } from "../../lib/server/fanout-service.ts";
import { type RunningServer, startServer } from "../../lib/server/orchestra-server.ts";
import { openStore } from "../../lib/store/open-store.ts";
import { addOsImage, deployingMachine, gz, makeDiskImage, runDeployScript } from "../deploy/deploy-fixture.ts";
import { freeTcpPort } from "../helpers/free-port.ts";

const MAIN = new URL("../../lib/cli/main.ts", import.meta.url).pathname;
let dir: string;
let inventory: Inventory;
let server: RunningServer;
let base: string;
let logLines: string[];

function collectingLogger(lines: string[]) {
  return pino({ level: "info" }, new Writable({ write(chunk, _encoding, done) { lines.push(...String(chunk).split("\n").filter(Boolean)); done(); } }));
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "orchestra-fanout-serve-"));
  inventory = new Inventory(await openStore(join(dir, "data")));
  logLines = [];
  await startFanoutServer();
});

/** serve with --fanout's parts over this test's inventory; the tracker answers before it returns. */
async function startFanoutServer(options: { seederMaxUploadBytesPerSecond?: number } = {}) {
  const trackerPort = await freeTcpPort();
  server = await startServer({
    inventory,
    logger: collectingLogger(logLines),
    bootListen: { host: "127.0.0.1", port: 0 },
    timeoutSweepSeconds: 3600,
    dataDir: join(dir, "data"),
    boot: { fanout: { trackerPort, seedSeconds: 4, stallSeconds: 6 } },
    fanout: { trackerListen: { host: "127.0.0.1", port: trackerPort }, trackerUrl: `http://127.0.0.1:${trackerPort}`, trackerCommand: [process.execPath, MAIN], checkSeconds: 1, ...options },
  });
  base = `http://127.0.0.1:${server.addresses.boot.port}`;
  // The tracker process answers before the nodes start.
  for (let i = 0; i < 100; i++) {
    if (await fetch(`http://127.0.0.1:${trackerPort}/fanout/health`).then((r) => r.ok, () => false)) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
afterEach(async () => {
  await server?.close();
  await inventory?.db.close();
  await rm(dir, { recursive: true, force: true });
});

async function twoNodes() {
  const { raw } = await makeDiskImage(dir, { bulkMiB: 4 });
  const image = await addOsImage(join(dir, "data"), dir, gz(raw));
  const nodes = [await deployingMachine(inventory, image), await deployingMachine(inventory, image)];
  const runs = await Promise.all(nodes.map(async (node, i) => {
    const nodeDir = join(dir, `node-${i}`);
    await mkdir(nodeDir);
    return { node, nodeDir, run: await runDeployScript(nodeDir, base, node.token, { timeoutMs: 90_000 }) };
  }));
  return { raw, runs };
}

describe("orchestra serve with fan-out", () => {
  it("two nodes deploy one image at once from peers and the server's seeder; the log shows what each peer was sent", async () => {
    const { raw, runs } = await twoNodes();
    for (const { run, nodeDir } of runs) {
      expect(run.exitCode, run.all).toBe(0);
      expect(run.all).toContain("fan-out: image fetched from peers and verified");
      expect(run.all).not.toContain("falling back to HTTP");
      // The MBR and the bulk partition as written (the root partition then gets the node's cloud-init seed).
      const head = 5 * 1024 * 1024;
      expect((await readFile(join(nodeDir, "dev", "vdz"))).subarray(0, head).equals(raw.subarray(0, head))).toBe(true);
    }
    // Let the seeder's next report come out.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await server.close();
    const served = logLines.filter((line) => line.includes("fan-out seeder: served"));
    expect(served.length, logLines.join("\n")).toBeGreaterThan(0);
    expect(logLines.some((line) => line.includes("fan-out: torrent handed out"))).toBe(true);
  }, 120_000);

  it("with the tracker killed by its pid, both nodes still deploy, over HTTP", async () => {
    const pid = Number((await readFile(fanoutTrackerPidFile(join(dir, "data")), "utf8")).trim());
    process.kill(pid, "SIGKILL");
    const { raw, runs } = await twoNodes();
    for (const { run, nodeDir } of runs) {
      expect(run.exitCode, run.all).toBe(0);
      expect(run.all).toContain("fan-out: falling back to HTTP");
      // The MBR and the bulk partition as written (the root partition then gets the node's cloud-init seed).
      const head = 5 * 1024 * 1024;
      expect((await readFile(join(nodeDir, "dev", "vdz"))).subarray(0, head).equals(raw.subarray(0, head))).toBe(true);
    }
    expect(logLines.some((line) => line.includes("fan-out tracker exited"))).toBe(true);
  }, 120_000);

  it("a peer serving corrupt pieces is caught: the node still writes the image's own bytes", async () => {
    // The server's seeder slowed (about 8 s for the image alone), so the node takes pieces from the bad peer too.
    await server.close();
    await startFanoutServer({ seederMaxUploadBytesPerSecond: 512 * 1024 });
    const { raw } = await makeDiskImage(dir, { bulkMiB: 4 });
    const file = gz(raw);
    const image = await addOsImage(join(dir, "data"), dir, file);
    // The bad peer is a machine with a live deployment of the image (the tracker admits no
    // other), seeding a copy with a byte flipped in every 4 KiB: every piece fails its hash.
    const bad = await deployingMachine(inventory, image);
    const torrentResponse = await fetch(`${base}/deploy/${bad.token}/image.torrent`);
    expect(torrentResponse.status).toBe(200);
    const badDir = join(dir, "bad-peer");
    await mkdir(badDir);
    const tampered = Buffer.from(file);
    for (let i = 0; i < tampered.length; i += 4096) tampered[i] = tampered[i]! ^ 0xff;
    await writeFile(join(badDir, "image"), tampered);
    await writeFile(join(badDir, "image.torrent"), Buffer.from(await torrentResponse.arrayBuffer()));
    const badLines: string[] = [];
    const badSeeder = startImageSeeder({ image: "tampered", torrent: join(badDir, "image.torrent"), dir: badDir, file: "image", listenPort: await freeTcpPort(), log: collectingLogger(badLines), reportSeconds: 1 });
    try {
      const node = await deployingMachine(inventory, image);
      const nodeDir = join(dir, "node-good");
      await mkdir(nodeDir);
      const run = await runDeployScript(nodeDir, base, node.token, { timeoutMs: 100_000 });
      expect(run.exitCode, run.all).toBe(0);
      const head = 5 * 1024 * 1024;
      expect((await readFile(join(nodeDir, "dev", "vdz"))).subarray(0, head).equals(raw.subarray(0, head))).toBe(true);
      // The bad peer really was used: it sent the node corrupt blocks, and none of them reached the disk.
      const sent = badSeeder.served().reduce((sum, peer) => sum + peer.bytes, 0);
      expect(sent, `${badLines.join("\n")}\n${run.all}`).toBeGreaterThan(0);
    } finally {
      await badSeeder.stop();
    }
  }, 150_000);

  it("refuses a torrent to a caller without a live token, and changes nothing", async () => {
    const response = await fetch(`${base}/deploy/${"x".repeat(32)}/image.torrent`);
    expect(response.status).toBe(404);
  });
});
