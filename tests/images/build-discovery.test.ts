import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DiscoveryRamdisk } from "../../lib/images/build-discovery.ts";
import { buildDiscoveryImage, buildDiscoveryRamdisk, isDynamicElf } from "../../lib/images/build-discovery.ts";
import { imageFilePath, listImages } from "../../lib/images/image-store.ts";
import { tempDataDir } from "../helpers/inventory.ts";

const data = tempDataDir();
afterAll(() => data.cleanup());
let ramdisk: DiscoveryRamdisk;
beforeAll(async () => {
  ramdisk = await buildDiscoveryRamdisk();
});

describe("the discovery ramdisk", () => {
  it("is built from Debian's busybox-static and the kernel's own NIC and disk modules", async () => {
    const listing = (await execa("cpio", ["-it", "--quiet"], { input: gunzipSync(ramdisk.initrd) })).stdout.split("\n");
    for (const path of ["init", "bin/busybox", "bin/sh", "dev/console", "etc/udhcpc.script", "etc/modules.order"]) expect(listing).toContain(path);
    for (const driver of ["e1000.ko", "virtio_net.ko", "virtio_blk.ko", "ata_piix.ko", "nvme.ko"]) {
      expect(listing.some((path) => path.endsWith(`/${driver}`))).toBe(true);
    }
    // Dependencies come first: failover before net_failover before virtio_net.
    const order = ramdisk.modules.map((m) => m.split("/").at(-1));
    expect(order.indexOf("failover.ko")).toBeLessThan(order.indexOf("net_failover.ko"));
    expect(order.indexOf("net_failover.ko")).toBeLessThan(order.indexOf("virtio_net.ko"));
    expect(ramdisk.kernelPath).toBe(`/boot/vmlinuz-${ramdisk.kernelVersion}`);
  });

  it("has an /init that busybox's shell parses", async () => {
    const init = (await execa("cpio", ["-i", "--quiet", "--to-stdout", "init"], { input: gunzipSync(ramdisk.initrd) })).stdout;
    expect(init.startsWith("#!/bin/busybox sh\n")).toBe(true);
    await execa("busybox", ["sh", "-n"], { input: init });
    expect(init).toContain('"$URL/enlist"');
  });

  it("carries ipmitool and aria2c with their libraries, and they run inside the unpacked ramdisk", async () => {
    expect(ramdisk.ipmitool).toBe(true);
    const root = join(data.dir, "root");
    mkdirSync(root);
    await execa("cpio", ["-id", "--quiet"], { cwd: root, input: gunzipSync(ramdisk.initrd) });
    const version = await execa("chroot", [root, "/usr/bin/ipmitool", "-V"], { reject: false, all: true });
    expect(version.exitCode, version.all).toBe(0);
    expect(version.stdout).toMatch(/^ipmitool version/);
    // aria2c (image fan-out) likewise, with its own libraries.
    expect(ramdisk.aria2c).toBe(true);
    const aria2c = await execa("chroot", [root, "/usr/bin/aria2c", "--version"], { reject: false, all: true });
    expect(aria2c.exitCode, aria2c.all).toBe(0);
    expect(aria2c.stdout).toMatch(/^aria2 version 1\.36/);
    const busybox = await execa("chroot", [root, "/bin/busybox", "sh", "-n", "/init"], { reject: false, all: true });
    expect(busybox.exitCode, busybox.all).toBe(0);
  });

  it("refuses a dynamically linked busybox (it could not run alone in the ramdisk)", async () => {
    expect(isDynamicElf(readFileSync("/bin/busybox"))).toBe(false);
    expect(isDynamicElf(readFileSync(process.execPath))).toBe(true);
    await expect(buildDiscoveryRamdisk({ busybox: process.execPath })).rejects.toMatchObject({ code: "PREREQUISITE_MISSING" });
  });

  it("is registered as a discovery image with its kernel", async () => {
    const image = await buildDiscoveryImage(data.dir);
    expect(image).toMatchObject({ role: "discovery", architecture: "amd64", name: "orchestra-discovery" });
    expect(image.id).toMatch(/^ami-[0-9a-f]{17}$/);
    expect(await listImages(data.dir)).toEqual([image]);
    expect(readFileSync(imageFilePath(data.dir, image.id, "kernel")).length).toBe(image.files.kernel.sizeBytes);
  });
});
