/**
 * Deployment through the real routes and the ramdisk's real deploy program (busybox, on this
 * host, a file standing in for the disk): the plan, the streamed and hashed write, the
 * cloud-init seed in the root file system, the report, the deployed system's phone-home; and
 * the faults: a wrong checksum, a node that never reports, bad calls, repeated calls.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { deploymentOf } from "../../lib/deploy/deployment-rows.ts";
import { imageFilePath } from "../../lib/images/image-store.ts";
import type { Inventory } from "../../lib/inventory/inventory.ts";
import { StoreMetadataSource } from "../../lib/metadata/store-metadata-source.ts";
import { type RunningServer, startServer } from "../../lib/server/orchestra-server.ts";
import { Inventory as InventoryClass } from "../../lib/inventory/index.ts";
import { openStore } from "../../lib/store/open-store.ts";
import { orchestra } from "../helpers/cli.ts";
import { addOsImage, deployingMachine, gz, makeDiskImage, runDeployScript } from "./deploy-fixture.ts";

let dir: string;
let inventory: Inventory;
let server: RunningServer;
let base: string;

async function start(timeouts?: Partial<Record<"deploying", number>>) {
  inventory = new InventoryClass(await openStore(join(dir, "data")), timeouts ? { timeouts: { commissioning: 1200, deploying: 2400, releasing: 600, disk_erasing: 7200, ...timeouts } } : {});
  server = await startServer({ inventory, logger: pino({ level: "silent" }), bootListen: { host: "127.0.0.1", port: 0 }, timeoutSweepSeconds: 3600, dataDir: join(dir, "data") });
  base = `http://127.0.0.1:${server.addresses.boot.port}`;
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "orchestra-deploy-"));
  await start();
});
afterEach(async () => {
  await server?.close();
  await inventory?.db.close();
  await rm(dir, { recursive: true, force: true });
});

/** The seed file inside the disk's root partition, read with debugfs (no mount needed). */
async function seedOf(disk: string, rootOffset: number): Promise<string> {
  const part = join(dir, "root-out.ext4");
  await writeFile(part, (await readFile(disk)).subarray(rootOffset));
  const out = await execa("debugfs", ["-R", "cat /etc/cloud/cloud.cfg.d/99-orchestra.cfg", part], { reject: false });
  return out.stdout;
}

describe("deployment", () => {
  it("writes the image, seeds cloud-init, reports; the deployed system's phone-home makes it deployed", async () => {
    const { raw, rootOffset } = await makeDiskImage(dir);
    const image = await addOsImage(join(dir, "data"), dir, gz(raw));
    const { systemId, instanceId, token, nocloudSecret } = await deployingMachine(inventory, image);
    const disk = join(dir, "dev", "vdz");
    const run = await runDeployScript(dir, base, token);
    expect(run.exitCode, run.all).toBe(0);

    const written = await readFile(disk);
    expect(written.subarray(0, rootOffset).equals(raw.subarray(0, rootOffset))).toBe(true);
    const seed = await seedOf(disk, rootOffset);
    expect(seed).toContain(`seedfrom: "${base}/nocloud/${nocloudSecret}/"`);
    expect(seed).toContain(`url: "${base}/deploy/${token}/booted"`);
    const deployment = await deploymentOf(inventory.db, systemId);
    expect(deployment).toMatchObject({ phase: "written", nodeAddress: "127.0.0.1", bytesTotal: image.files.root!.sizeBytes });
    expect(deployment!.log).toContain("image written and verified");
    expect((await inventory.getMachine(systemId)).status).toBe("deploying");
    // The ramdisk's address is not taken for the deployed system's: the secret alone reads the seed until it boots.
    expect((await new StoreMetadataSource(inventory.db).findByNocloudSecret(nocloudSecret))?.localIpv4).toBeNull();

    // The operator sees the deployment's phase and progress, never its token or secrets.
    const show = await orchestra(["--data-dir", join(dir, "data"), "machines", "show", systemId, "--json"]);
    expect(show.exitCode, show.stderr).toBe(0);
    expect(JSON.parse(show.stdout).deployment).toMatchObject({ instanceId, imageId: image.id, phase: "written", bytesDone: image.files.root!.sizeBytes });
    expect(show.stdout).not.toContain(token);
    expect(show.stdout).not.toContain(nocloudSecret);
    const text = await orchestra(["--data-dir", join(dir, "data"), "machines", "show", systemId]);
    expect(text.stdout).toMatch(new RegExp(`deployment: +${image.id} for ${instanceId}: written .*\\(100%\\)`));

    // A reboot now boots the disk, not the deploy ramdisk again.
    const mac = (await inventory.getMachine(systemId)).interfaces[0]!.mac;
    expect(await (await fetch(`${base}/boot/${mac}.ipxe`)).text()).toContain("booting from local disk");

    // cloud-init's phone_home posts a form; twice is harmless.
    const booted = () => fetch(`${base}/deploy/${token}/booted`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: `instance_id=${instanceId}&hostname=node` });
    expect((await booted()).status).toBe(200);
    expect((await booted()).status).toBe(200);
    const machine = await inventory.getMachine(systemId);
    expect(machine.status).toBe("deployed");
    expect(machine.statusMessage).toContain("booted the deployed image");
    expect((await deploymentOf(inventory.db, systemId))?.phase).toBe("booted");
    // The deployed system's address is the instance's now: its metadata answers that address only.
    expect((await new StoreMetadataSource(inventory.db).findByNocloudSecret(nocloudSecret))?.localIpv4).toBe("127.0.0.1");
    // The deployment is over: its plan is no longer handed out.
    expect((await fetch(`${base}/deploy/${token}/plan`)).status).toBe(409);
  }, 120_000);

  it("a deployed system that booted without its metadata fails the deployment, naming what cloud-init reported", async () => {
    const { raw } = await makeDiskImage(dir);
    const image = await addOsImage(join(dir, "data"), dir, gz(raw));
    const { systemId, instanceId, token } = await deployingMachine(inventory, image);
    const run = await runDeployScript(dir, base, token);
    expect(run.exitCode, run.all).toBe(0);
    // What cloud-init's phone_home posts when NoCloud found nothing and it fell back to DataSourceNone.
    const booted = await fetch(`${base}/deploy/${token}/booted`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "instance_id=iid-datasource-none&hostname=debian" });
    expect(booted.status).toBe(409);
    const machine = await inventory.getMachine(systemId);
    expect(machine.status).toBe("failed_deployment");
    expect(machine.statusMessage).toContain(`the deployed system booted without its metadata: cloud-init reported instance id "iid-datasource-none", not ${instanceId}`);
  }, 120_000);

  it("a wrong checksum fails the deployment with the reason, wipes the disk's start, and the machine is failed_deployment", async () => {
    const { raw } = await makeDiskImage(dir);
    const image = await addOsImage(join(dir, "data"), dir, gz(raw));
    // The stored file changes after import: what the node downloads no longer matches the record.
    const stored = imageFilePath(join(dir, "data"), image.id, "root");
    await writeFile(stored, gz(Buffer.concat([raw.subarray(0, raw.length - 1), Buffer.from([1])])));
    const { systemId, token } = await deployingMachine(inventory, image);
    const disk = join(dir, "dev", "vdz");
    const run = await runDeployScript(dir, base, token, { fill: 0xee });
    expect(run.exitCode, run.all).toBe(1);
    const machine = await inventory.getMachine(systemId);
    expect(machine.status).toBe("failed_deployment");
    expect(machine.statusMessage).toMatch(/^deployment failed: checksum mismatch: the image downloaded has SHA-256 [0-9a-f]{64}, the plan says [0-9a-f]{64}$/);
    expect(machine.statusMessage).toContain(image.files.root!.sha256);
    const deployment = await deploymentOf(inventory.db, systemId);
    expect(deployment?.phase).toBe("failed");
    expect(deployment?.log).toContain("FAILED: checksum mismatch");
    // The first MiB is zeroed: the half-trusted image cannot boot.
    const written = await readFile(disk);
    expect(written.subarray(0, 1024 * 1024).every((b) => b === 0)).toBe(true);
    // The machine's PXE request now powers it off; the plan is refused; the report, repeated, answers the same.
    expect((await fetch(`${base}/deploy/${token}/plan`)).status).toBe(409);
    const again = await fetch(`${base}/deploy/${token}/report?status=failure`, { method: "POST", headers: { "content-type": "text/plain" }, body: "again\n" });
    expect(again.status).toBe(200);
    expect((await inventory.getMachine(systemId)).statusMessage).toBe(machine.statusMessage);
  }, 120_000);
});
