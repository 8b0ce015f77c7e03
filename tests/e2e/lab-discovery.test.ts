/**
 * End to end: two VMs nobody registered (one legacy BIOS, one UEFI with OVMF) network-boot
 * in the lab, load the discovery ramdisk over HTTP, and enlist themselves; then the lab
 * comes down and leaves no process, namespace or file behind, whether or not the test passed.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { execa } from "execa";
import { afterAll, describe, expect, it } from "vitest";
import { processStartTime } from "../../lib/lab/lab-processes.ts";
import type { LabStatus } from "../../lib/lab/lab-status.ts";
import type { MachineView } from "../../lib/inventory/machine-view.ts";

const NODE = process.execPath;
const CLI = join(import.meta.dirname, "../../lib/cli/main.ts");
const dataDir = mkdtempSync(join(tmpdir(), "orchestra-e2e-lab-"));
let status: LabStatus | undefined;

async function orchestra(...args: string[]) {
  return execa(NODE, [CLI, "--data-dir", dataDir, ...args], { reject: false, all: true });
}

function consoleTails(): string {
  return (status?.vms ?? []).map((vm) => `--- ${vm.name} (${vm.firmware}) console:\n${existsSync(vm.consoleLog) ? readFileSync(vm.consoleLog, "utf8").slice(-2000) : "(none)"}`).join("\n");
}

afterAll(async () => {
  // Always down, even after a failure; then check that it really left nothing behind.
  const down = await orchestra("lab", "down");
  try {
    expect(down.exitCode, down.all).toBe(0);
    if (status) {
      expect((await execa("ip", ["netns", "list"])).stdout).not.toContain(status.namespace);
      for (const pid of [status.serve?.pid, ...status.vms.map((vm) => vm.pid)]) {
        if (pid) expect(await processStartTime(pid), `pid ${pid} still running`).toBeUndefined();
      }
    }
    expect(existsSync(join(dataDir, "lab"))).toBe(false);
    expect(existsSync(join(dataDir, "dnsmasq"))).toBe(false);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}, 60_000);

describe("the lab", () => {
  it("discovers a BIOS and a UEFI machine that nobody registered", async () => {
    expect(process.getuid?.(), "the lab needs root (network namespaces, tap devices)").toBe(0);
    const up = await orchestra("lab", "up", "--nodes", "2", "--firmware", "bios,uefi", "--memory-mib", "512", "--disk-gib", "1", "--json");
    expect(up.exitCode, up.all).toBe(0);
    status = JSON.parse(up.stdout) as LabStatus;
    expect(status.running).toBe(true);
    expect(status.vms.map((vm) => vm.firmware)).toEqual(["bios", "uefi"]);
    expect(status.bootUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

    // The boot service is published on the host's loopback.
    const health = await fetch(`${status.bootUrl}/healthz`);
    expect(health.status).toBe(200);

    const deadline = Date.now() + 240_000;
    let machines: MachineView[] = [];
    while (Date.now() < deadline) {
      const list = await orchestra("machines", "list", "--json");
      expect(list.exitCode, list.all).toBe(0);
      machines = JSON.parse(list.stdout) as MachineView[];
      if (machines.length >= 2) break;
      await sleep(2000);
    }
    expect(machines.length, `machines enlisted before the deadline:\n${consoleTails()}`).toBe(2);

    for (const vm of status.vms) {
      const machine = machines.find((m) => m.interfaces.some((nic) => nic.mac === vm.mac));
      expect(machine, `no machine with ${vm.name}'s MAC ${vm.mac}`).toBeDefined();
      expect(machine).toMatchObject({ status: "new", architecture: "amd64", cpus: 1, memoryMib: 512, storageBytes: 1024 ** 3 });
      expect(machine!.interfaces).toEqual([{ mac: vm.mac, name: "eth0", boot: true }]);
      expect(machine!.hardware.firmware).toBe(vm.firmware);
      expect(machine!.hardware.dmi_vendor).toBe("QEMU");
    }

    // Having reported, each VM powers itself off.
    const stopped = Date.now() + 60_000;
    let running = status.vms.length;
    while (running > 0 && Date.now() < stopped) {
      const now = JSON.parse((await orchestra("lab", "status", "--json")).stdout) as LabStatus;
      running = now.vms.filter((vm) => vm.running).length;
      if (running) await sleep(1000);
    }
    expect(running, "VMs still running after their report").toBe(0);
  }, 360_000);
});
