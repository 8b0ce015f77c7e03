/**
 * The OS image boots and runs a machine's user-data: the decompressed disk is qemu's first
 * drive (BIOS, syslinux, Debian's kernel and initrd, systemd, cloud-init), in a network
 * namespace of its own with dnsmasq for DHCP and a NoCloud seed served over HTTP, and with
 * the seed URL written into the root file system the way the deploy step will: a
 * 99-orchestra.cfg put in place by debugfs, nothing mounted. Nothing leaves the namespace
 * (TEST-NET-1 only).
 */
import { randomBytes } from "node:crypto";
import { createReadStream, createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import { execa, type ResultPromise } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildOsDisk } from "../../lib/images/build-os-image.ts";
import { OS_SEED_CONFIG_PATH, renderNoCloudSeedConfig } from "../../lib/images/os-image-config.ts";
import { addTap, createLabNetwork, deleteNamespace } from "../../lib/lab/network-namespace.ts";
import { readMbr } from "../helpers/mbr.ts";

const CACHE_DIR = "/var/cache/orchestra/os-images";
const NAMESPACE = `orch-osimg-${process.pid}`;
const SERVER = "192.0.2.1";
const SEED_PORT = 8080;
// Under TCG on a busy 2-core host a first boot (initramfs, systemd, cloud-init's python) takes minutes.
const BOOT_TIMEOUT_MS = 15 * 60_000;

const scratch = mkdtempSync(join(tmpdir(), "orch-osimg-boot-"));
const disk = join(scratch, "disk.img");
const serialLog = join(scratch, "serial.log");
const secret = randomBytes(8).toString("hex");
const nonce = randomBytes(8).toString("hex");
const children: Started[] = [];
const seedRequests: string[] = [];
let qemu: Started | undefined;
let bootSeconds: number | undefined;
let proofLine: string | undefined;

/** A long-lived process and whether it has exited (execa's promise does not say synchronously). */
interface Started {
  readonly child: ResultPromise;
  exited: boolean;
}

/** Start a long-lived process inside the namespace; afterAll stops it by its pid. */
function inNamespace(file: string, args: readonly string[]): Started {
  // `ip netns exec` execs the program, so the child's pid is the program's own.
  const child = execa("ip", ["netns", "exec", NAMESPACE, file, ...args], { reject: false, stdin: "ignore", buffer: false });
  const started: Started = { child, exited: false };
  void child.then(() => (started.exited = true));
  children.push(started);
  return started;
}

async function stop(started: Started): Promise<void> {
  const signal = (name: NodeJS.Signals) => {
    if (!started.exited && started.child.pid !== undefined) {
      try {
        process.kill(started.child.pid, name);
      } catch {
        // Gone meanwhile.
      }
    }
  };
  signal("SIGTERM");
  const killer = setTimeout(() => signal("SIGKILL"), 5_000);
  await started.child;
  clearTimeout(killer);
}

function serialTail(): string {
  return existsSync(serialLog) ? readFileSync(serialLog, "latin1").split("\n").slice(-60).join("\n") : "(no serial log)";
}

beforeAll(async () => {
  const { entry } = await buildOsDisk({ cacheDir: CACHE_DIR, onProgress: (m) => process.stderr.write(`build-os: ${m}\n`) });
  await pipeline(createReadStream(entry.disk), createGunzip(), createWriteStream(disk));
  const root = (await readMbr(disk)).entries.find((e) => e.number === 2)!;

  // What the deploy step does: the seed URL into the root file system, in place.
  const seedUrl = `http://${SERVER}:${SEED_PORT}/nocloud/${secret}/`;
  const seedCfg = join(scratch, "99-orchestra.cfg");
  writeFileSync(seedCfg, renderNoCloudSeedConfig(seedUrl));
  await execa("debugfs", ["-w", "-R", `write ${seedCfg} /${OS_SEED_CONFIG_PATH}`, `${disk}?offset=${root.startSector * 512}`]);
  const written = await execa("debugfs", ["-R", `cat /${OS_SEED_CONFIG_PATH}`, `${disk}?offset=${root.startSector * 512}`]);
  expect(written.stdout).toContain(seedUrl);

  const seed = join(scratch, "seed");
  await execa("mkdir", [seed]);
  writeFileSync(join(seed, "meta-data"), `instance-id: i-${nonce}\nlocal-hostname: osimg-${nonce.slice(0, 6)}\n`);
  // The proof is assembled by the shell, so the string the test waits for appears only if the script ran.
  writeFileSync(join(seed, "user-data"), `#!/bin/sh\nA=ORCHESTRA-PROOF\nB=${nonce}\necho "$A-$B host=$(hostname) addr=$(ip -4 -o addr show scope global | tr -s ' ' | cut -d' ' -f2,4 | tr '\\n' ' ')" | tee /dev/console\n`);
  writeFileSync(join(seed, "vendor-data"), "");

  await createLabNetwork(NAMESPACE, "br0", SERVER, 24);
  await addTap(NAMESPACE, "br0", "tap0");
  inNamespace("dnsmasq", [
    "--no-daemon", "--conf-file=/dev/null", "--port=0", "--user=root", "--interface=br0", "--bind-interfaces",
    "--dhcp-range=192.0.2.100,192.0.2.200,255.255.255.0,1h", `--dhcp-leasefile=${join(scratch, "leases")}`, "--log-dhcp",
  ]);
  const server = inNamespace(process.execPath, [join(import.meta.dirname, "../helpers/nocloud-seed-server.ts"), seed, SERVER, String(SEED_PORT)]).child;
  await new Promise<void>((resolve, reject) => {
    let buffered = "";
    server.stdout!.on("data", (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split("\n");
      buffered = lines.pop()!;
      for (const line of lines) {
        if (line === "listening") resolve();
        else seedRequests.push(line);
      }
    });
    void server.then((result) => reject(new Error(`the seed server exited: ${String(result.exitCode)}`)));
  });
}, 30 * 60_000);

afterAll(async () => {
  for (const child of children.reverse()) await stop(child);
  await deleteNamespace(NAMESPACE);
  rmSync(scratch, { recursive: true, force: true });
  if (bootSeconds !== undefined) process.stderr.write(`os-image boot figures: power-on to user-data proof ${bootSeconds.toFixed(1)} s under TCG\n`);
}, 60_000);

describe("the OS image", () => {
  it(
    "boots under qemu, gets a DHCP lease, fetches its NoCloud seed and runs the user-data",
    async () => {
      const started = Date.now();
      qemu = inNamespace("qemu-system-x86_64", [
        "-accel", "tcg", "-m", "1024", "-display", "none", "-monitor", "none", "-no-reboot",
        "-serial", `file:${serialLog}`,
        "-drive", `file=${disk},format=raw,if=virtio`, "-boot", "order=c",
        // No option ROM: the NIC is not a boot device here, and iPXE's ROM only adds seconds under TCG.
        "-netdev", "tap,id=n0,ifname=tap0,script=no,downscript=no", "-device", `virtio-net-pci,netdev=n0,mac=52:54:00:0e:${nonce.slice(0, 2)}:${nonce.slice(2, 4)},romfile=`,
      ]);
      const proof = new RegExp(`^ORCHESTRA-PROOF-${nonce} .*$`, "m");
      while (Date.now() - started < BOOT_TIMEOUT_MS && !qemu.exited) {
        const match = existsSync(serialLog) ? proof.exec(readFileSync(serialLog, "latin1")) : null;
        if (match) {
          proofLine = match[0];
          bootSeconds = (Date.now() - started) / 1000;
          break;
        }
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
      expect(proofLine, `no proof ${qemu.exited ? "before qemu exited" : `within ${BOOT_TIMEOUT_MS / 1000} s`}; serial log tail:\n${serialTail()}`).toBeDefined();
      // Powered off by its pid: the test has what it came for.
      await stop(qemu);

      expect(proofLine).toContain(`host=osimg-${nonce.slice(0, 6)}`);
      const address = /addr=\S+ (192\.0\.2\.(\d+))\/24/.exec(proofLine!);
      expect(address, proofLine).not.toBeNull();
      expect(Number(address![2])).toBeGreaterThanOrEqual(100);
      expect(Number(address![2])).toBeLessThanOrEqual(200);
      for (const file of ["meta-data", "user-data"]) {
        expect(seedRequests.some((r) => r.startsWith(`GET /nocloud/${secret}/${file} 200 from ${address![1]}`)), seedRequests.join("\n")).toBe(true);
      }
    },
    BOOT_TIMEOUT_MS + 60_000,
  );
});
