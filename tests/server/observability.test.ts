/**
 * What an operator reads: request counts and latencies by API and action, power steps by
 * driver and outcome, build info and the process defaults on /metrics (prom-client); human
 * log lines on a terminal; no info lines for health checks and scrapes; authentication
 * failures logged with their code and the key id.
 */
import { Writable } from "node:stream";
import { DescribeRegionsCommand, EC2Client } from "@aws-sdk/client-ec2";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { LifecycleEngine } from "../../lib/engine/lifecycle-engine.ts";
import { builtinPowerDrivers } from "../../lib/power/registry.ts";
import { humanLogLine } from "../../lib/server/human-log.ts";
import { OrchestraMetrics } from "../../lib/server/metrics.ts";
import { startServer } from "../../lib/server/orchestra-server.ts";
import { startEc2Harness } from "../ec2/helpers/ec2-harness.ts";
import { memoryInventory, nextMac, tempDataDir } from "../helpers/inventory.ts";

/** A pino logger whose lines are kept, parsed. */
function capturingLogger(level = "info") {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({ write: (chunk, _encoding, done) => (lines.push(...String(chunk).trim().split("\n").map((l) => JSON.parse(l))), done()) });
  return { lines, logger: pino({ level }, sink) };
}

describe("/metrics", () => {
  it("counts EC2 requests by action and status, power steps by driver and outcome, with build info and process defaults", async () => {
    const metrics = new OrchestraMetrics({ version: "9.9.9" });
    const harness = await startEc2Harness({ metrics });
    const client = await harness.client("alice");
    await client.send(new DescribeRegionsCommand({}));
    await client.send(new DescribeRegionsCommand({}));
    const stranger = new EC2Client({ endpoint: harness.endpoint, region: "orchestra", credentials: { accessKeyId: "AKIAUNKNOWNUNKNOWN00", secretAccessKey: "x" }, maxAttempts: 1 });
    await stranger.send(new DescribeRegionsCommand({})).catch(() => undefined);
    stranger.destroy();
    const inventory = await memoryInventory();
    const engine = new LifecycleEngine({ inventory, drivers: builtinPowerDrivers(), logger: pino({ level: "silent" }), metrics });
    const m = await inventory.addMachine({ interfaces: [{ mac: nextMac() }], power: { type: "manual" } });
    await inventory.accept(m.systemId);
    await engine.sweep();
    const text = await metrics.registry.metrics();
    expect(text).toContain('orchestra_api_requests_total{api="ec2",action="DescribeRegions",code="200"} 2');
    expect(text).toContain('orchestra_api_requests_total{api="ec2",action="unauthenticated",code="401"} 1');
    expect(text).toMatch(/^orchestra_api_request_duration_seconds_count\{api="ec2",action="DescribeRegions"\} 2$/m);
    expect(text).toContain('orchestra_power_operations_total{driver="manual",action="cycle",outcome="operator-action-required"} 1');
    expect(text).toMatch(/^orchestra_build_info\{version="9\.9\.9",node="24\.[\d.]+"\} 1$/m);
    expect(text).toMatch(/^orchestra_process_cpu_user_seconds_total \d/m);
    expect(text).toMatch(/^orchestra_nodejs_eventloop_lag_seconds /m);
    await harness.close();
    await inventory.db.close();
  });
});

describe("/metrics on a running server", () => {
  it("counts boot routes by pattern, enlistments and deployment reports by outcome, and the engine's queue", async () => {
    const metrics = new OrchestraMetrics({ version: "1" });
    const inventory = await memoryInventory();
    const data = tempDataDir();
    const engine = new LifecycleEngine({ inventory, drivers: builtinPowerDrivers(), logger: pino({ level: "silent" }), metrics });
    const server = await startServer({ inventory, logger: pino({ level: "silent" }), bootListen: { host: "127.0.0.1", port: 0 }, timeoutSweepSeconds: 3600, dataDir: data.dir, metrics, engine: { engine, sweepMs: 3_600_000 } });
    const base = `http://127.0.0.1:${server.addresses.boot.port}`;
    try {
      const report = { version: 1, mode: "enlist", bootMac: "52:54:00:12:00:01", architecture: "amd64", firmware: "bios", cpus: 2, cpuModel: "QEMU", memoryMib: 512, interfaces: [{ name: "eth0", mac: "52:54:00:12:00:01" }], disks: [{ name: "vda", sizeBytes: 1073741824, model: "", serial: "" }], dmi: { vendor: "QEMU", product: "PC", serial: "" }, bmcAddress: "" };
      expect((await fetch(`${base}/enlist`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(report) })).status).toBe(201);
      expect((await fetch(`${base}/deploy/${"x".repeat(32)}/report?status=success`, { method: "POST", headers: { "content-type": "text/plain" }, body: "done\n" })).status).toBe(404);
      await engine.sweep();
      const text = await (await fetch(`${base}/metrics`)).text();
      expect(text).toContain('orchestra_enlistments_total{outcome="created"} 1');
      expect(text).toContain('orchestra_deployments_total{outcome="refused"} 1');
      expect(text).toMatch(/^orchestra_api_requests_total\{api="boot",action="\/enlist",code="201"\} 1$/m);
      expect(text).toMatch(/^orchestra_api_requests_total\{api="boot",action="\/deploy\/:token\/report",code="404"\} 1$/m);
      expect(text).toMatch(/^orchestra_engine_queue_depth \d+$/m);
      expect(text).toContain('orchestra_machines{status="new"} 1');
    } finally {
      await server.close();
      await inventory.db.close();
      data.cleanup();
    }
  });
});

describe("the server log", () => {
  it("has no info lines for /healthz and /metrics, and serves them", async () => {
    const { lines, logger } = capturingLogger();
    const inventory = await memoryInventory();
    const data = tempDataDir();
    const server = await startServer({ inventory, logger, bootListen: { host: "127.0.0.1", port: 0 }, timeoutSweepSeconds: 3600, dataDir: data.dir, metrics: new OrchestraMetrics({ version: "1" }) });
    try {
      const before = lines.length;
      for (const path of ["healthz", "metrics", "healthz"]) expect((await fetch(`http://127.0.0.1:${server.addresses.boot.port}/${path}`)).status).toBe(200);
      expect(lines.slice(before)).toEqual([]);
    } finally {
      await server.close();
      await inventory.db.close();
      data.cleanup();
    }
  });

  it("writes one line a boot script: the access line, with the machine, its status and the branch", async () => {
    const { lines, logger } = capturingLogger();
    const inventory = await memoryInventory();
    const data = tempDataDir();
    const mac = nextMac();
    const m = await inventory.addMachine({ interfaces: [{ mac }], power: { type: "manual" } });
    const server = await startServer({ inventory, logger, bootListen: { host: "127.0.0.1", port: 0 }, timeoutSweepSeconds: 3600, dataDir: data.dir });
    try {
      const before = lines.length;
      expect((await fetch(`http://127.0.0.1:${server.addresses.boot.port}/boot/${mac.replaceAll(":", "-")}.ipxe`)).status).toBe(200);
      const written = lines.slice(before);
      expect(written).toHaveLength(1);
      expect(written[0]).toMatchObject({ msg: "request", method: "GET", status: 200, mac, systemId: m.systemId, machineStatus: "new" });
      expect(typeof written[0]!.branch).toBe("string");
    } finally {
      await server.close();
      await inventory.db.close();
      data.cleanup();
    }
  });

  it("logs an EC2 authentication failure with its code and the key id", async () => {
    const { lines, logger } = capturingLogger();
    const harness = await startEc2Harness({ logger });
    const stranger = new EC2Client({ endpoint: harness.endpoint, region: "orchestra", credentials: { accessKeyId: "AKIAUNKNOWNUNKNOWN00", secretAccessKey: "x" }, maxAttempts: 1 });
    await stranger.send(new DescribeRegionsCommand({})).catch(() => undefined);
    stranger.destroy();
    await harness.close();
    expect(lines.find((l) => l.msg === "ec2 request")).toMatchObject({ status: 401, code: "EC2_AUTH_FAILURE", accessKeyId: "AKIAUNKNOWNUNKNOWN00" });
  });

  it("reads as a person reads on a terminal", () => {
    const line = JSON.stringify({ level: 30, time: Date.UTC(2026, 0, 2, 3, 4, 5, 678), pid: 1, hostname: "h", service: "ec2", action: "RunInstances", status: 200, account: "demo team", msg: "ec2 request" });
    expect(humanLogLine(line)).toBe('03:04:05.678 INFO  ec2: ec2 request  action=RunInstances status=200 account="demo team"\n');
  });
});
