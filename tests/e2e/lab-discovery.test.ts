/**
 * End to end: two VMs nobody registered (one legacy BIOS, one UEFI with OVMF) network-boot
 * in the lab, load the discovery ramdisk over HTTP, and enlist themselves; then the lab
 * comes down and leaves no process, namespace or file behind, whether or not the test passed.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { labNamespace } from "../../lib/lab/lab-state.ts";
import type { LabStatus } from "../../lib/lab/lab-status.ts";
import { consoleTails, labDownAndCheck, orchestraCli, waitForMachines, waitForVmsToStop } from "../helpers/lab.ts";

const dataDir = mkdtempSync(join(tmpdir(), "orchestra-e2e-lab-"));
let status: LabStatus | undefined;

afterAll(async () => {
  try {
    await labDownAndCheck(dataDir, status, [labNamespace(dataDir)]);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}, 60_000);

describe("the lab", () => {
  it("discovers a BIOS and a UEFI machine that nobody registered", async () => {
    expect(process.getuid?.(), "the lab needs root (network namespaces, tap devices)").toBe(0);
    const up = await orchestraCli(dataDir, "lab", "up", "--nodes", "2", "--firmware", "bios,uefi", "--memory-mib", "512", "--disk-gib", "1", "--json");
    expect(up.exitCode, up.all).toBe(0);
    status = JSON.parse(up.stdout) as LabStatus;
    expect(status.running).toBe(true);
    expect(status.vms.map((vm) => vm.firmware)).toEqual(["bios", "uefi"]);
    expect(status.bootUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

    // The boot service is published on the host's loopback.
    const health = await fetch(`${status.bootUrl}/healthz`);
    expect(health.status).toBe(200);

    const machines = await waitForMachines(dataDir, 2, 240_000);
    expect(machines.length, `machines enlisted before the deadline:\n${consoleTails(status)}`).toBe(2);
    for (const vm of status.vms) {
      const machine = machines.find((m) => m.interfaces.some((nic) => nic.mac === vm.mac));
      expect(machine, `no machine with ${vm.name}'s MAC ${vm.mac}`).toBeDefined();
      expect(machine).toMatchObject({ status: "new", architecture: "amd64", cpus: 1, memoryMib: 512, storageBytes: 1024 ** 3 });
      expect(machine!.interfaces).toEqual([{ mac: vm.mac, name: "eth0", boot: true }]);
      expect(machine!.hardware.firmware).toBe(vm.firmware);
      expect(machine!.hardware.dmi_vendor).toBe("QEMU");
    }

    // Having reported, each VM powers itself off.
    expect(await waitForVmsToStop(dataDir, 60_000), "VMs still running after their report").toBe(0);
  }, 360_000);
});
