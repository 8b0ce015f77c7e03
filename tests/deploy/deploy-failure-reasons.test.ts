/**
 * A failed deployment carries a reason a person can act on: what failed, how far the write
 * got and how big the disk is. The real deploy program under
 * busybox, a file standing in for the disk, against the real routes.
 */
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { execa } from "execa";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Inventory } from "../../lib/inventory/index.ts";
import { type RunningServer, startServer } from "../../lib/server/orchestra-server.ts";
import { openStore } from "../../lib/store/open-store.ts";
import { addOsImage, deployingMachine, gz, makeDiskImage, runDeployScript } from "./deploy-fixture.ts";

const MIB = 1024 ** 2;
let dir: string;
let inventory: Inventory;
let server: RunningServer;
let base: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "orchestra-deploy-reasons-"));
  inventory = new Inventory(await openStore(join(dir, "data")));
  server = await startServer({ inventory, logger: pino({ level: "silent" }), bootListen: { host: "127.0.0.1", port: 0 }, timeoutSweepSeconds: 3600, dataDir: join(dir, "data") });
  base = `http://127.0.0.1:${server.addresses.boot.port}`;
});
afterEach(async () => {
  await server?.close();
  await inventory?.db.close();
  await rm(dir, { recursive: true, force: true });
});

describe("a deployment onto a disk too small for the image", () => {
  it("names what failed, the bytes written and the disk's size", async () => {
    const { raw } = await makeDiskImage(dir);
    const image = await addOsImage(join(dir, "data"), dir, gz(raw));
    const { systemId, token } = await deployingMachine(inventory, image);
    // The machine's disk: a real 4 MiB block device (a loop device), smaller than the image.
    const backing = join(dir, "small-disk");
    await writeFile(backing, Buffer.alloc(4 * MIB));
    const loop = (await execa("losetup", ["--find", "--show", backing])).stdout.trim();
    try {
      await mkdir(join(dir, "dev"), { recursive: true });
      await symlink(loop, join(dir, "dev", "vdz"));
      const run = await runDeployScript(dir, base, token);
      expect(run.exitCode, run.all).toBe(1);
      const machine = await inventory.getMachine(systemId);
      expect(machine.status).toBe("failed_deployment");
      expect(machine.statusMessage).toMatch(/^deployment failed: writing \S+ failed: .*No space left on device/);
      expect(machine.statusMessage).toMatch(new RegExp(`No space left on device; ${4 * MIB} bytes written to vdz, a disk of ${4 * MIB} bytes \\(the image file is ${image.files.root!.sizeBytes} bytes, gz\\)$`));
    } finally {
      await execa("losetup", ["--detach", loop]);
    }
  }, 120_000);
});
