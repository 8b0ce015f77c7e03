/**
 * The real OS image build: debootstrap from the host's mirror (or the shared cache at
 * /var/cache/orchestra/os-images, so CI's later runs take seconds), then the disk is read
 * back with tools that open files, never mounts: the MBR by hand, the FAT with mtools, the
 * ext4 root with debugfs.
 */
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BootImage } from "../../lib/images/boot-image.ts";
import { buildOsDisk, buildOsImage, SYSLINUX_MBR, type OsDiskBuild } from "../../lib/images/build-os-image.ts";
import { imageFilePath } from "../../lib/images/image-store.ts";
import { OS_DATASOURCE_CONFIG_PATH } from "../../lib/images/os-image-config.ts";
import { tempDataDir } from "../helpers/inventory.ts";
import { readMbr, type MbrEntry } from "../helpers/mbr.ts";

const CACHE_DIR = "/var/cache/orchestra/os-images";
const data = tempDataDir();
const scratch = mkdtempSync(join(tmpdir(), "orch-osimg-build-"));
const disk = join(scratch, "disk.img");
afterAll(() => {
  data.cleanup();
  rmSync(scratch, { recursive: true, force: true });
});

const progress: string[] = [];
const log = (message: string) => {
  progress.push(message);
  process.stderr.write(`build-os: ${message}\n`);
};
let first: OsDiskBuild;
let image: BootImage;
let firstSeconds: number;
let secondSeconds: number;
let entries: MbrEntry[];

async function sha256(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/** A debugfs request against the root partition, in place inside the disk image (the ext2 library's `?offset=` io option). */
async function debugfs(request: string): Promise<string> {
  const root = entries.find((e) => e.number === 2)!;
  const result = await execa("debugfs", ["-R", request, `${disk}?offset=${root.startSector * 512}`], { all: true });
  return result.stdout;
}

beforeAll(async () => {
  let started = Date.now();
  first = await buildOsDisk({ cacheDir: CACHE_DIR, onProgress: log });
  firstSeconds = (Date.now() - started) / 1000;
  progress.length = 0;
  started = Date.now();
  image = await buildOsImage(data.dir, { cacheDir: CACHE_DIR, onProgress: log });
  secondSeconds = (Date.now() - started) / 1000;
  await pipeline(createReadStream(first.entry.disk), createGunzip(), createWriteStream(disk));
  entries = (await readMbr(disk)).entries;
  const gz = statSync(first.entry.disk).size;
  process.stderr.write(
    `build-os figures: first call ${firstSeconds.toFixed(1)} s (${first.cached ? `cached; the cold build took ${first.entry.info.buildSeconds} s` : "cold"}), ` +
      `cached call incl. registering ${secondSeconds.toFixed(1)} s; disk ${(first.entry.info.diskBytes / 2 ** 20).toFixed(0)} MiB raw, ${(gz / 2 ** 20).toFixed(0)} MiB gz\n`,
  );
}, 30 * 60_000);

describe("orchestra images build-os", () => {
  it("reuses the cached image the second time, and says so", () => {
    expect(progress.some((line) => line.startsWith("using the cached image"))).toBe(true);
    expect(secondSeconds).toBeLessThan(120);
  });

  it("registers an os image whose root is the gzipped disk and whose root partition is 2", async () => {
    expect(image).toMatchObject({ name: "debian-12-cloud", role: "os", release: "bookworm", architecture: "amd64", source: "build-os", rootPartition: 2 });
    expect(image.files.root!.sha256).toBe(await sha256(first.entry.disk));
    expect(image.files.kernel.sha256).toBe(await sha256(first.entry.kernel));
    expect(image.files.initrd.sha256).toBe(await sha256(first.entry.initrd));
    for (const file of ["kernel", "initrd", "root"] as const) {
      expect(await sha256(imageFilePath(data.dir, image.id, file))).toBe(image.files[file]!.sha256);
    }
  });

  it("decompresses to an MBR disk: syslinux's boot code, an active FAT partition 1 and a Linux partition 2 ending the disk", async () => {
    const { bootCode } = await readMbr(disk);
    const mbrBin = readFileSync(SYSLINUX_MBR);
    expect(bootCode.subarray(0, mbrBin.length).equals(mbrBin)).toBe(true);
    expect(entries.map(({ number, bootable, type }) => ({ number, bootable, type }))).toEqual([
      { number: 1, bootable: true, type: 0x0e },
      { number: 2, bootable: false, type: 0x83 },
    ]);
    const [boot, root] = entries as [MbrEntry, MbrEntry];
    expect(boot.startSector).toBe(2048);
    expect(root.startSector).toBe(boot.startSector + boot.sectors);
    expect(root.startSector % 2048).toBe(0);
    expect(statSync(disk).size).toBe((root.startSector + root.sectors) * 512);
    expect(statSync(disk).size).toBe(first.entry.info.diskBytes);
  });

  it("has syslinux, the kernel, the initrd and syslinux.cfg on the boot partition", async () => {
    const fat = `${disk}@@${entries[0]!.startSector * 512}`;
    const env = { MTOOLS_SKIP_CHECK: "1" };
    const listing = (await execa("mdir", ["-i", fat, "-a", "-b", "::/"], { env })).stdout.split("\n").map((l) => l.replace(/^::\//, "").toLowerCase());
    for (const name of ["ldlinux.sys", "ldlinux.c32", "syslinux.cfg", "vmlinuz", "initrd.img"]) expect(listing).toContain(name);
    const cfg = (await execa("mtype", ["-i", fat, "::/syslinux.cfg"], { env })).stdout;
    expect(cfg).toContain("APPEND root=LABEL=orchestra-root ro console=tty0 console=ttyS0,115200");
    const kernel = join(scratch, "vmlinuz");
    await execa("mcopy", ["-i", fat, "::/vmlinuz", kernel], { env });
    expect(await sha256(kernel)).toBe(image.files.kernel.sha256);
  });

  it("has an ext4 root labelled orchestra-root with cloud-init set to NoCloud", async () => {
    const root = entries[1]!;
    const header = (await execa("dumpe2fs", ["-h", `${disk}?offset=${root.startSector * 512}`], { all: true })).stdout;
    expect(header).toMatch(/^Filesystem volume name:\s+orchestra-root$/m);
    expect(header).toMatch(/^Filesystem features:.*\bextent\b/m);
    const blocks = Number(/^Block count:\s+(\d+)$/m.exec(header)![1]) * Number(/^Block size:\s+(\d+)$/m.exec(header)![1]);
    expect(blocks).toBe(root.sectors * 512);
    expect(await debugfs(`cat /${OS_DATASOURCE_CONFIG_PATH}`)).toContain("datasource_list: [ NoCloud, None ]");
    expect(await debugfs("cat /etc/fstab")).toContain("LABEL=orchestra-root\t/\text4");
    expect(await debugfs("cat /etc/network/interfaces")).toContain("source /etc/network/interfaces.d/*");
    expect(await debugfs("cat /usr/bin/cloud-init")).toContain("cloud-init==");
    expect(await debugfs("stat /usr/sbin/ifup")).toContain("Type: regular");
    expect(await debugfs("stat /usr/bin/growpart")).toContain("Type: regular");
  });

  it("is a fresh machine: root's password locked, no machine id, no host DNS, no apt caches", async () => {
    const rootEntry = (await debugfs("cat /etc/shadow")).split("\n").find((line) => line.startsWith("root:"))!;
    expect(rootEntry.split(":")[1]).toMatch(/^!/);
    expect(await debugfs("cat /etc/machine-id")).toBe("");
    expect(await debugfs("cat /etc/resolv.conf")).toBe("");
    expect(await debugfs("cat /etc/hostname")).toBe("debian");
    const archives = (await debugfs("ls -p /var/cache/apt/archives")).split("\n").filter((l) => l.endsWith(".deb/"));
    expect(archives).toEqual([]);
    const lists = (await debugfs("ls -p /var/lib/apt/lists")).split("\n").filter((l) => /_Packages/.test(l));
    expect(lists).toEqual([]);
  });
});
