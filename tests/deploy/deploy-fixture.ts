/**
 * Test fixture for deployment: a small real disk image (MBR, partition 2 an ext4 root made
 * by mkfs.ext4), an `os` image in a real image store, a machine in `deploying` with its
 * deployment recorded the way RunInstances records it, and the ramdisk's real deploy program
 * run by busybox on this host against a file standing in for the disk.
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { execa } from "execa";
import { beginDeploymentWithin } from "../../lib/deploy/begin-deployment.ts";
import { addImage } from "../../lib/images/image-store.ts";
import type { BootImage } from "../../lib/images/boot-image.ts";
import { renderDeployScript } from "../../lib/images/deploy-script.ts";
import type { Inventory } from "../../lib/inventory/inventory.ts";
import { newNocloudSecret } from "../../lib/metadata/nocloud-secret.ts";
import { StoreMetadataSource } from "../../lib/metadata/store-metadata-source.ts";
import { forceStatus, nextMac } from "../helpers/inventory.ts";

const MIB = 1024 * 1024;

/** An MBR partition entry (LBA only; CHS fields are unused by anything here). */
function mbrEntry(type: number, startSector: number, sectors: number): Buffer {
  const entry = Buffer.alloc(16);
  entry[4] = type;
  entry.writeUInt32LE(startSector, 8);
  entry.writeUInt32LE(sectors, 12);
  return entry;
}

/**
 * A raw disk: 1 MiB gap, partition 1 (`bulkMiB` MiB, default 2, random bytes so that it does
 * not compress: a download that takes a while), partition 2 (8 MiB ext4 labelled
 * orchestra-root, holding /etc/orchestra-test).
 */
export async function makeDiskImage(dir: string, options: { bulkMiB?: number } = {}): Promise<{ raw: Buffer; rootOffset: number }> {
  const bulk = options.bulkMiB ?? 2;
  const tree = join(dir, "tree");
  await mkdir(join(tree, "etc/cloud/cloud.cfg.d"), { recursive: true });
  await writeFile(join(tree, "etc/orchestra-test"), "written by the deploy test\n");
  const part = join(dir, "root.ext4");
  await execa("mkfs.ext4", ["-q", "-F", "-L", "orchestra-root", "-d", tree, part, "8M"]);
  const root = await readFile(part);
  const mbr = Buffer.alloc(512);
  mbrEntry(0x0c, 2048, bulk * 2048).copy(mbr, 446);
  mbrEntry(0x83, 2048 + bulk * 2048, root.length / 512).copy(mbr, 462);
  mbr[510] = 0x55;
  mbr[511] = 0xaa;
  const raw = Buffer.concat([mbr, Buffer.alloc(MIB - 512), randomBytes(bulk * MIB), root]);
  return { raw, rootOffset: (1 + bulk) * MIB };
}

/** Register `gz` as an `os` image (dummy kernel and initrd: only the disk image is used here). */
export async function addOsImage(dataDir: string, dir: string, root: Buffer): Promise<BootImage> {
  await writeFile(join(dir, "kernel"), "kernel");
  await writeFile(join(dir, "initrd"), "initrd");
  await writeFile(join(dir, "root.img.gz"), root);
  return addImage(
    dataDir,
    { name: "test-os", role: "os", release: "test", architecture: "amd64", source: "deploy-test", rootPartition: 2 },
    { kernel: { path: join(dir, "kernel") }, initrd: { path: join(dir, "initrd") }, root: { path: join(dir, "root.img.gz") } },
  );
}

export function gz(raw: Buffer): Buffer {
  return gzipSync(raw, { level: 1 });
}

export function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** A machine with a `manual` (real, not test-only) power type, allocated and deploying `image` as RunInstances would. */
export async function deployingMachine(inventory: Inventory, image: BootImage, diskBytes = 64 * MIB) {
  const added = await inventory.addMachine({ interfaces: [{ mac: nextMac() }], cpus: 1, memoryMib: 1024, disks: [{ name: "vdz", sizeBytes: diskBytes }], power: { type: "manual" } });
  await forceStatus(inventory, added.systemId, "ready");
  const { instance } = await inventory.allocate({}, "acct-deploy");
  const nocloudSecret = newNocloudSecret();
  const token = await inventory.db.transaction(async (tx) => {
    const machine = await inventory.transitionWithin(tx, added.systemId, "deploying", "deploy test");
    const token = await beginDeploymentWithin(tx, { machine, instanceId: instance.instanceId, image: { imageId: image.id, deployable: true }, nocloudSecret, consoleOffset: 0, at: new Date().toISOString() });
    await new StoreMetadataSource(inventory.db).putWithin(tx, { instanceId: instance.instanceId, hostname: machine.hostname, availabilityZone: "default", nocloudSecret, userData: Buffer.from("#!/bin/sh\necho hello\n") });
    return token;
  });
  return { systemId: added.systemId, instanceId: instance.instanceId, token, nocloudSecret };
}

/** A directory of busybox's applets (wget, dd, losetup, mount...), to put ahead of the host's tools: the ramdisk's programs run with what the ramdisk has. */
export async function busyboxApplets(dir: string): Promise<string> {
  const applets = join(dir, "busybox-bin");
  await mkdir(applets, { recursive: true });
  await execa("busybox", ["--install", "-s", applets]);
  return applets;
}

/**
 * Run the ramdisk's deploy program with busybox, writing to `<dir>/dev/vdz` (a 64 MiB file
 * filled with `fill`, made if missing); it does not reboot.
 */
export async function runDeployScript(dir: string, base: string, token: string, options: { timeoutMs?: number; fill?: number } = {}) {
  const script = join(dir, "orchestra-deploy");
  await writeFile(script, renderDeployScript(), { mode: 0o755 });
  const applets = await busyboxApplets(dir);
  await mkdir(join(dir, "dev"), { recursive: true });
  const disk = join(dir, "dev", "vdz");
  if (!(await stat(disk).catch(() => undefined))) await writeFile(disk, Buffer.alloc(64 * MIB, options.fill ?? 0));
  return execa("busybox", ["sh", script, base, token], {
    reject: false,
    all: true,
    timeout: options.timeoutMs ?? 120_000,
    env: { ORCHESTRA_DEV: join(dir, "dev"), ORCHESTRA_DEPLOY_WORK: join(dir, "work"), ORCHESTRA_DEPLOY_NO_REBOOT: "1", PATH: `${applets}:${process.env.PATH}` },
  });
}
