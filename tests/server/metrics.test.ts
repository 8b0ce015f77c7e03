import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { MACHINE_STATUSES } from "../../lib/inventory/lifecycle.ts";
import { renderMetrics } from "../../lib/server/metrics.ts";
import { startServer } from "../../lib/server/orchestra-server.ts";
import { addReadyMachines, memoryInventory, nextMac, tempDataDir } from "../helpers/inventory.ts";

describe("metrics", () => {
  it("renders every state, zeros included, in Prometheus text format", () => {
    const text = renderMetrics({ machinesByStatus: { ready: 3, deployed: 1 }, openInstances: 1 });
    for (const status of MACHINE_STATUSES) expect(text).toMatch(new RegExp(`^orchestra_machines\\{status="${status}"\\} \\d+$`, "m"));
    expect(text).toContain('orchestra_machines{status="ready"} 3\n');
    expect(text).toContain('orchestra_machines{status="new"} 0\n');
    expect(text).toContain("orchestra_instances_open 1\n");
    expect(text.endsWith("\n")).toBe(true);
  });

  it("are served on the boot listener's /metrics from the store, as the charm's scrape job expects", async () => {
    const inventory = await memoryInventory();
    await addReadyMachines(inventory, 3);
    await inventory.addMachine({ interfaces: [{ mac: nextMac() }], power: { type: "manual" } });
    await inventory.allocate({}, "acct");
    const data = tempDataDir();
    const server = await startServer({ inventory, logger: pino({ level: "silent" }), bootListen: { host: "127.0.0.1", port: 0 }, timeoutSweepSeconds: 3600, dataDir: data.dir });
    try {
      const response = await fetch(`http://127.0.0.1:${server.addresses.boot.port}/metrics`);
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
      const text = await response.text();
      expect(text).toContain('orchestra_machines{status="ready"} 2\n');
      expect(text).toContain('orchestra_machines{status="allocated"} 1\n');
      expect(text).toContain('orchestra_machines{status="new"} 1\n');
      expect(text).toContain("orchestra_instances_open 1\n");
    } finally {
      await server.close();
      await inventory.db.close();
      data.cleanup();
    }
  });
});
