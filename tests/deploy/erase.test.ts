/**
 * Disk erasure on release: the lifecycle engine, told to erase, moves a released machine to
 * disk_erasing with a token; its PXE request gets the ramdisk in erase mode; the ramdisk's
 * real erase program (busybox on this host, files as the disks) wipes and reports; the
 * machine is ready again only on that report, or failed_disk_erasing with the reason.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { erasureOf } from "../../lib/deploy/erasure-rows.ts";
import { LifecycleEngine } from "../../lib/engine/lifecycle-engine.ts";
import { addImage } from "../../lib/images/image-store.ts";
import { renderEraseScript } from "../../lib/images/erase-script.ts";
import { Inventory } from "../../lib/inventory/index.ts";
import { builtinPowerDrivers } from "../../lib/power/registry.ts";
import { type RunningServer, startServer } from "../../lib/server/orchestra-server.ts";
import { openStore } from "../../lib/store/open-store.ts";
import { forceStatus, nextMac } from "../helpers/inventory.ts";
import { busyboxApplets } from "./deploy-fixture.ts";

const MIB = 1024 * 1024;
let dir: string;
let inventory: Inventory;
let server: RunningServer;
let base: string;
const logger = pino({ level: "silent" });

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "orchestra-erase-"));
  inventory = new Inventory(await openStore(join(dir, "data")));
  // A ramdisk image to boot (its files do not matter here: the erase program runs on this host).
  await writeFile(join(dir, "kernel"), "kernel");
  await writeFile(join(dir, "initrd"), "initrd");
  await addImage(join(dir, "data"), { name: "ramdisk", role: "discovery", release: "test", architecture: "amd64", source: "erase-test" }, { kernel: { path: join(dir, "kernel") }, initrd: { path: join(dir, "initrd") } });
  server = await startServer({ inventory, logger, bootListen: { host: "127.0.0.1", port: 0 }, timeoutSweepSeconds: 3600, dataDir: join(dir, "data") });
  base = `http://127.0.0.1:${server.addresses.boot.port}`;
});
afterEach(async () => {
  await server.close();
  await inventory.db.close();
  await rm(dir, { recursive: true, force: true });
});

/** A released (manual power) machine taken through the engine's releasing step with erasure on. */
async function releasedMachine() {
  const machine = await inventory.addMachine({ interfaces: [{ mac: nextMac() }], power: { type: "manual" } });
  await forceStatus(inventory, machine.systemId, "deployed");
  await inventory.release(machine.systemId);
  const engine = new LifecycleEngine({ inventory, drivers: builtinPowerDrivers(), logger, eraseOnRelease: "quick" });
  await engine.sweep();
  return { systemId: machine.systemId, mac: machine.interfaces[0]!.mac };
}

/** Run the ramdisk's erase program with busybox's applets against files in `<dir>/dev`. */
async function runErase(token: string, disks: string) {
  const applets = await busyboxApplets(dir);
  const script = join(dir, "orchestra-erase");
  await writeFile(script, renderEraseScript(), { mode: 0o755 });
  return execa("busybox", ["sh", script, base, token, "quick"], {
    reject: false,
    all: true,
    timeout: 120_000,
    env: { ORCHESTRA_DEV: join(dir, "dev"), ORCHESTRA_ERASE_DISKS: disks, ORCHESTRA_ERASE_WORK: join(dir, "work"), ORCHESTRA_ERASE_NO_POWEROFF: "1", PATH: `${applets}:${process.env.PATH}` },
  });
}

describe("disk erasure on release", () => {
  it("wipes each disk's first and last 2 MiB through the real erase program, then the machine is ready", async () => {
    const { systemId, mac } = await releasedMachine();
    const machine = await inventory.getMachine(systemId);
    expect(machine.status).toBe("disk_erasing");
    const erasure = await erasureOf(inventory.db, systemId);
    expect(erasure).toMatchObject({ mode: "quick", phase: "planned", enteredAt: machine.statusChangedAt });
    // Its PXE request gets the ramdisk in erase mode with the erasure's token.
    const script = await (await fetch(`${base}/boot/${mac}.ipxe`)).text();
    expect(script).toContain(`orchestra.mode=erase orchestra.system_id=${systemId} orchestra.token=${erasure!.token} orchestra.erase=quick`);

    await mkdir(join(dir, "dev"));
    for (const disk of ["vdz", "vdy"]) await writeFile(join(dir, "dev", disk), Buffer.alloc(8 * MIB, 0xee));
    const run = await runErase(erasure!.token, "vdz vdy");
    expect(run.exitCode, run.all).toBe(0);
    for (const disk of ["vdz", "vdy"]) {
      const bytes = await readFile(join(dir, "dev", disk));
      expect(bytes.length).toBe(8 * MIB);
      expect(bytes.subarray(0, 2 * MIB).every((b) => b === 0), `${disk} start`).toBe(true);
      expect(bytes.subarray(6 * MIB).every((b) => b === 0), `${disk} end`).toBe(true);
      expect(bytes.subarray(2 * MIB, 6 * MIB).every((b) => b === 0xee), `${disk} middle untouched (quick)`).toBe(true);
    }
    const after = await inventory.getMachine(systemId);
    expect(after.status).toBe("ready");
    expect(after.statusMessage).toBe("disks erased (quick): vdz vdy");
    expect((await erasureOf(inventory.db, systemId))?.log).toContain("erasing the first and last 2 MiB of vdy");
    // A repeated report answers the same; the PXE request now powers the machine off.
    const again = await fetch(`${base}/erase/${erasure!.token}/report?status=success`, { method: "POST", headers: { "content-type": "text/plain" }, body: "again\n" });
    expect(again.status).toBe(200);
    expect(await (await fetch(`${base}/boot/${mac}.ipxe`)).text()).toContain("poweroff");
  }, 120_000);

  it("a disk that cannot be erased leaves the machine failed_disk_erasing with the reason, out of the pool", async () => {
    const { systemId } = await releasedMachine();
    const erasure = await erasureOf(inventory.db, systemId);
    await mkdir(join(dir, "dev"));
    const run = await runErase(erasure!.token, "missing");
    expect(run.exitCode, run.all).toBe(1);
    const machine = await inventory.getMachine(systemId);
    expect(machine.status).toBe("failed_disk_erasing");
    expect(machine.statusMessage).toBe(`disk erasure failed: no disk ${join(dir, "dev", "missing")}`);
  }, 120_000);

  it("refuses bad reports and changes nothing", async () => {
    const { systemId } = await releasedMachine();
    const erasure = await erasureOf(inventory.db, systemId);
    const post = (path: string) => fetch(`${base}${path}`, { method: "POST", headers: { "content-type": "text/plain" }, body: "x\n" });
    expect((await post(`/erase/${"B".repeat(32)}/report?status=success`)).status).toBe(404);
    expect((await post(`/erase/short/report?status=success`)).status).toBe(404);
    expect((await post(`/erase/${erasure!.token}/report?status=done`)).status).toBe(400);
    expect((await post(`/erase/${erasure!.token}/report`)).status).toBe(400);
    expect((await inventory.getMachine(systemId)).status).toBe("disk_erasing");
    expect(await erasureOf(inventory.db, systemId)).toEqual(erasure);
  });

  it("without erasure, a released machine goes straight back to ready", async () => {
    const machine = await inventory.addMachine({ interfaces: [{ mac: nextMac() }], power: { type: "manual" } });
    await forceStatus(inventory, machine.systemId, "deployed");
    await inventory.release(machine.systemId);
    await new LifecycleEngine({ inventory, drivers: builtinPowerDrivers(), logger }).sweep();
    expect((await inventory.getMachine(machine.systemId)).status).toBe("ready");
    expect(await erasureOf(inventory.db, machine.systemId)).toBeUndefined();
  });
});
