/**
 * Fan-out end to end on this host, no VMs: a real server with --fanout's parts (the tracker
 * as its own `orchestra fanout tracker` process, aria2c seeders), and the ramdisk's real
 * deploy program (busybox, aria2c, a file as the disk) for two nodes deploying one image at
 * once. Then the tracker is killed by its pid and deployments still finish over HTTP.
 */
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
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

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "orchestra-fanout-serve-"));
  inventory = new Inventory(await openStore(join(dir, "data")));
  logLines = [];
  const sink = new Writable({ write(chunk, _encoding, done) { logLines.push(...String(chunk).split("\n").filter(Boolean)); done(); } });
  const trackerPort = await freeTcpPort();
  server = await startServer({
    inventory,
    logger: pino({ level: "info" }, sink),
    bootListen: { host: "127.0.0.1", port: 0 },
    timeoutSweepSeconds: 3600,
    dataDir: join(dir, "data"),
    boot: { fanout: { trackerPort, seedSeconds: 4, stallSeconds: 6 } },
    fanout: { trackerListen: { host: "127.0.0.1", port: trackerPort }, trackerUrl: `http://127.0.0.1:${trackerPort}`, trackerCommand: [process.execPath, MAIN], checkSeconds: 1 },
  });
  base = `http://127.0.0.1:${server.addresses.boot.port}`;
  // The tracker process answers before the nodes start.
  for (let i = 0; i < 100; i++) {
    if (await fetch(`http://127.0.0.1:${trackerPort}/fanout/health`).then((r) => r.ok, () => false)) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
});
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

  it("refuses a torrent to a caller without a live token, and changes nothing", async () => {
    const response = await fetch(`${base}/deploy/${"x".repeat(32)}/image.torrent`);
    expect(response.status).toBe(404);
  });
});
