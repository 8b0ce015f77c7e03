/**
 * Deployment faults and bad input, through the real routes, store and EC2 API: calls with a
 * bad token or body change nothing; a node that never reports hits the deploying timeout;
 * RunInstances refuses an image a real machine cannot take and changes nothing; two
 * TerminateInstances at once end the instance once.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RunInstancesCommand, TerminateInstancesCommand } from "@aws-sdk/client-ec2";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { deploymentOf } from "../../lib/deploy/deployment-rows.ts";
import { IMAGES } from "../../lib/ec2/model/image-catalogue.ts";
import { storeImageSource } from "../../lib/ec2/model/image-source.ts";
import { Inventory } from "../../lib/inventory/index.ts";
import { StoreMetadataSource } from "../../lib/metadata/store-metadata-source.ts";
import { type RunningServer, startServer } from "../../lib/server/orchestra-server.ts";
import { openStore } from "../../lib/store/open-store.ts";
import { forceStatus, nextMac } from "../helpers/inventory.ts";
import { startEc2Harness, storeSnapshot } from "../ec2/helpers/ec2-harness.ts";
import { addOsImage, deployingMachine, gz, makeDiskImage } from "./deploy-fixture.ts";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "orchestra-deploy-faults-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("the deploy routes refuse bad calls and change nothing", () => {
  let inventory: Inventory;
  let server: RunningServer;
  let base: string;
  beforeEach(async () => {
    inventory = new Inventory(await openStore(join(dir, "data")));
    server = await startServer({ inventory, logger: pino({ level: "silent" }), bootListen: { host: "127.0.0.1", port: 0 }, timeoutSweepSeconds: 3600, dataDir: join(dir, "data") });
    base = `http://127.0.0.1:${server.addresses.boot.port}`;
  });
  afterEach(async () => {
    await server.close();
    await inventory.db.close();
  });

  it("answers unknown and malformed tokens, bad statuses and bad progress with clear errors", async () => {
    const image = await addOsImage(join(dir, "data"), dir, gz((await makeDiskImage(dir)).raw));
    const { systemId, token } = await deployingMachine(inventory, image);
    const before = await deploymentOf(inventory.db, systemId);
    const post = (path: string, body: string, type = "text/plain") => fetch(`${base}${path}`, { method: "POST", headers: { "content-type": type }, body });

    const unknown = await fetch(`${base}/deploy/${"A".repeat(32)}/plan`);
    expect(unknown.status).toBe(404);
    expect((await unknown.json()) as unknown).toMatchObject({ error: { code: "DEPLOYMENT_NOT_FOUND" } });
    expect((await fetch(`${base}/deploy/short/plan`)).status).toBe(404);
    expect((await fetch(`${base}/deploy/${token.slice(0, 31)}%24/plan`)).status).toBe(404);

    const badStatus = await post(`/deploy/${token}/report?status=maybe`, "x\n");
    expect(badStatus.status).toBe(400);
    expect((await badStatus.json()) as unknown).toMatchObject({ error: { code: "INVALID_ARGUMENT" } });
    expect((await post(`/deploy/${token}/report`, "x\n")).status).toBe(400);
    expect((await post(`/deploy/${token}/progress`, "bytes=lots", "application/x-www-form-urlencoded")).status).toBe(400);
    expect((await post(`/deploy/${token}/report?status=success`, "x".repeat(600 * 1024))).status).toBe(413);
    // The deployed system cannot claim to have booted an image that was never written.
    expect((await post(`/deploy/${token}/booted`, "instance_id=i-0", "application/x-www-form-urlencoded")).status).toBe(409);

    expect(await deploymentOf(inventory.db, systemId)).toEqual(before);
    expect((await inventory.getMachine(systemId)).status).toBe("deploying");

    // Progress is recorded once the node is writing.
    expect((await fetch(`${base}/deploy/${token}/plan`)).status).toBe(200);
    expect((await post(`/deploy/${token}/progress`, "bytes=4096", "application/x-www-form-urlencoded")).status).toBe(204);
    expect(await deploymentOf(inventory.db, systemId)).toMatchObject({ phase: "writing", bytesDone: 4096 });
  });

  it("a plan for a machine whose image was removed fails the deployment with the reason", async () => {
    const image = await addOsImage(join(dir, "data"), dir, gz((await makeDiskImage(dir)).raw));
    const { systemId, token } = await deployingMachine(inventory, image);
    await rm(join(dir, "data", "images", image.id), { recursive: true });
    const plan = await fetch(`${base}/deploy/${token}/plan`);
    expect(plan.status).toBe(409);
    const machine = await inventory.getMachine(systemId);
    expect(machine.status).toBe("failed_deployment");
    expect(machine.statusMessage).toBe(`deployment failed: image ${image.id} is no longer in the image store`);
  });
});

describe("a node that never reports back", () => {
  it("hits the deploying timeout: failed_deployment, and its late calls are refused", async () => {
    let now = Date.now();
    const inventory = new Inventory(await openStore(join(dir, "data")), { now: () => new Date(now), timeouts: { commissioning: 1200, deploying: 60, releasing: 600, disk_erasing: 7200 } });
    try {
      const image = await addOsImage(join(dir, "data"), dir, gz((await makeDiskImage(dir)).raw));
      const { systemId } = await deployingMachine(inventory, image);
      expect(await inventory.expireTimeouts()).toEqual([]);
      now += 61_000;
      const failed = await inventory.expireTimeouts();
      expect(failed.map((m) => [m.systemId, m.status, m.statusMessage])).toEqual([[systemId, "failed_deployment", "timed out after 60 s in deploying"]]);
    } finally {
      await inventory.db.close();
    }
  });
});

describe("EC2 and real machines", () => {
  const catalogue = IMAGES.find((i) => i.architecture === "x86_64")!;

  it("RunInstances refuses an image with no disk file for a real machine, and changes nothing", async () => {
    const harness = await startEc2Harness({ images: storeImageSource(join(dir, "data")) });
    try {
      const client = await harness.client("alice");
      const machine = await harness.services.inventory.addMachine({ interfaces: [{ mac: nextMac() }], cpus: 2, memoryMib: 2048, disks: [{ sizeBytes: 10 * 1024 ** 3 }], power: { type: "manual" } });
      await forceStatus(harness.services.inventory, machine.systemId, "ready");
      const before = await storeSnapshot(harness.services);
      const error = await client.send(new RunInstancesCommand({ ImageId: catalogue.imageId, MinCount: 1, MaxCount: 1 })).catch((e: Error) => e);
      expect(error).toMatchObject({ name: "InvalidAMIID.Unavailable" });
      expect((error as Error).message).toContain("orchestra images build-os");
      expect(await storeSnapshot(harness.services)).toBe(before);
    } finally {
      await harness.close();
    }
  });

  it("RunInstances with a store image starts a deployment; two TerminateInstances at once end it once", async () => {
    const image = await addOsImage(join(dir, "data"), dir, gz((await makeDiskImage(dir)).raw));
    const harness = await startEc2Harness({ images: storeImageSource(join(dir, "data")) });
    try {
      const client = await harness.client("alice");
      const { inventory } = harness.services;
      const machine = await inventory.addMachine({ interfaces: [{ mac: nextMac() }], cpus: 2, memoryMib: 2048, disks: [{ name: "sda", sizeBytes: 10 * 1024 ** 3 }], power: { type: "manual" } });
      await forceStatus(inventory, machine.systemId, "ready");
      const run = await client.send(new RunInstancesCommand({ ImageId: image.id, MinCount: 1, MaxCount: 1, UserData: Buffer.from("#!/bin/sh\necho hi\n").toString("base64") }));
      const instanceId = run.Instances![0]!.InstanceId!;
      expect(run.Instances![0]!.State?.Name).toBe("pending");
      const deployment = await deploymentOf(inventory.db, machine.systemId);
      expect(deployment).toMatchObject({ instanceId, imageId: image.id, phase: "planned" });
      expect(deployment!.token).toMatch(/^[A-Za-z0-9_-]{32}$/);
      // The deployed system will read its metadata at the NoCloud URL the deployment knows.
      const md = await new StoreMetadataSource(inventory.db).findByNocloudSecret(deployment!.nocloudSecret!);
      expect(md?.instanceId).toBe(instanceId);

      const [a, b] = await Promise.all([0, 1].map(() => client.send(new TerminateInstancesCommand({ InstanceIds: [instanceId] }))));
      for (const answer of [a!, b!]) expect(answer.TerminatingInstances![0]!.CurrentState?.Name).toBe("shutting-down");
      const releases = (await inventory.events(machine.systemId)).filter((e) => e.to === "releasing");
      expect(releases).toHaveLength(1);
      expect((await inventory.getMachine(machine.systemId)).status).toBe("releasing");
    } finally {
      await harness.close();
    }
  });
});
