/**
 * A write through the server's API wakes the lifecycle engine at once: with a sweep interval
 * of an hour, a machine that entered a state with a power step gets it right after the next
 * POST, not an hour later; a route that can give the engine no work (a deployment's progress)
 * does not wake it.
 */
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { DescribeInstancesCommand, EC2Client, TerminateInstancesCommand } from "@aws-sdk/client-ec2";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { CredentialStore } from "../../lib/ec2/credentials/credential-store.ts";
import { loadOrCreateSecretKey, SECRET_KEY_FILE, secretBox } from "../../lib/ec2/credentials/secret-box.ts";
import { DEFAULT_TOPOLOGY } from "../../lib/ec2/model/ec2-services.ts";
import { LifecycleEngine } from "../../lib/engine/lifecycle-engine.ts";
import { builtinPowerDrivers } from "../../lib/power/registry.ts";
import { startServer } from "../../lib/server/orchestra-server.ts";
import { forceStatus, memoryInventory, nextMac, tempDataDir } from "../helpers/inventory.ts";

describe("the engine's wake-up", () => {
  it("runs the power step after a POST to the boot listener, without waiting for the sweep, but not after a progress post", async () => {
    const inventory = await memoryInventory();
    const logger = pino({ level: "silent" });
    const data = tempDataDir();
    const engine = new LifecycleEngine({ inventory, drivers: builtinPowerDrivers(), logger });
    const server = await startServer({ inventory, logger, bootListen: { host: "127.0.0.1", port: 0 }, timeoutSweepSeconds: 3600, dataDir: data.dir, engine: { engine, sweepMs: 3_600_000 } });
    const actions = async () => (await inventory.db.all("SELECT machine_id FROM power_actions")).length;
    try {
      await sleep(100); // the engine's first sweep, at start, finds nothing
      const machine = await inventory.addMachine({ interfaces: [{ mac: nextMac() }], power: { type: "manual" } });
      await forceStatus(inventory, machine.systemId, "new");
      await inventory.accept(machine.systemId); // commissioning: a power step (manual: the operator is told)
      await sleep(200);
      expect(await actions()).toBe(0);
      // A deployment's progress post can give the engine no work (its route says so): no wake-up.
      const progress = await fetch(`http://127.0.0.1:${server.addresses.boot.port}/deploy/${"A".repeat(32)}/progress`, { method: "POST", headers: { "content-type": "text/plain" }, body: "bytes=1" });
      expect(progress.status).toBe(404);
      await sleep(200);
      expect(await actions()).toBe(0);
      // Any other write through the API: here, an enlistment that is refused (but a write attempt).
      const post = await fetch(`http://127.0.0.1:${server.addresses.boot.port}/enlist`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
      expect(post.status).toBe(400);
      for (let i = 0; i < 50 && (await actions()) === 0; i++) await sleep(20);
      expect(await actions()).toBe(1);
    } finally {
      await server.close();
      await inventory.db.close();
      data.cleanup();
    }
  });

  it("is not woken by an EC2 Describe call (it changes nothing), but is by any other EC2 call", async () => {
    const inventory = await memoryInventory();
    const logger = pino({ level: "silent" });
    const data = tempDataDir();
    const engine = new LifecycleEngine({ inventory, drivers: builtinPowerDrivers(), logger });
    const credentials = new CredentialStore(inventory.db, secretBox(await loadOrCreateSecretKey(join(data.dir, SECRET_KEY_FILE))));
    const key = await credentials.create("wake");
    const loopback = { host: "127.0.0.1", port: 0 };
    const server = await startServer({
      inventory,
      logger,
      bootListen: loopback,
      timeoutSweepSeconds: 3600,
      dataDir: data.dir,
      engine: { engine, sweepMs: 3_600_000 },
      ec2: { listen: loopback, credentials, topology: DEFAULT_TOPOLOGY },
    });
    const client = new EC2Client({ endpoint: `http://127.0.0.1:${server.addresses.ec2!.port}`, region: DEFAULT_TOPOLOGY.region, credentials: key, maxAttempts: 1 });
    const actions = async () => (await inventory.db.all("SELECT machine_id FROM power_actions")).length;
    try {
      await sleep(100); // the engine's first sweep, at start, finds nothing
      const machine = await inventory.addMachine({ interfaces: [{ mac: nextMac() }], power: { type: "manual" } });
      await forceStatus(inventory, machine.systemId, "new");
      await inventory.accept(machine.systemId); // commissioning: a power step the engine has not run yet
      await client.send(new DescribeInstancesCommand({}));
      await sleep(200);
      expect(await actions()).toBe(0);
      // Any other action is a write attempt, even one refused: it wakes the engine.
      await expect(client.send(new TerminateInstancesCommand({ InstanceIds: ["i-0123456789abcdef0"] }))).rejects.toThrow();
      for (let i = 0; i < 50 && (await actions()) === 0; i++) await sleep(20);
      expect(await actions()).toBe(1);
    } finally {
      client.destroy();
      await server.close();
      await inventory.db.close();
      data.cleanup();
    }
  });
});
