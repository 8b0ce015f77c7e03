/**
 * End to end: two VMs nobody registered (one legacy BIOS, one UEFI with OVMF), each behind
 * its own IPMI BMC (ipmi_sim), are powered on through their BMCs by `lab up`, network-boot,
 * load the discovery ramdisk over HTTP and enlist themselves, reporting their BMC and a BMC
 * user the ramdisk set up in-band. Orchestra's ipmi driver then powers a VM on and off with
 * those credentials. The lab comes down and leaves no process, namespace or file behind,
 * whether or not the test passed.
 */
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { withInventory } from "../../lib/cli/context.ts";
import type { MachineView } from "../../lib/inventory/machine-view.ts";
import { labPowerDrivers } from "../../lib/lab/lab-bmc.ts";
import { labStatePath, readLabState } from "../../lib/lab/lab-state.ts";
import type { LabStatus } from "../../lib/lab/lab-status.ts";
import { powerTargetFor } from "../../lib/power/power-target.ts";
import { REDACTED } from "../../lib/power/power-types.ts";
import { consoleTails, labTestDataDir, labVmProcess, orchestraCli, waitForMachines, waitForVmsToStop } from "../helpers/lab.ts";

let status: LabStatus | undefined;
const dataDir = labTestDataDir("orchestra-e2e-lab-", () => status);

describe("the lab", () => {
  let machines: MachineView[] = [];

  it("discovers a BIOS and a UEFI machine that nobody registered, each reporting its BMC", async () => {
    expect(process.getuid?.(), "the lab needs root (network namespaces, tap devices)").toBe(0);
    const started = Date.now();
    const up = await orchestraCli(dataDir, "lab", "up", "--nodes", "2", "--firmware", "bios,uefi", "--memory-mib", "512", "--disk-gib", "1", "--json");
    expect(up.exitCode, up.all).toBe(0);
    console.log(`lab up (2 BMCs, 2 VMs powered on through them): ${Date.now() - started} ms`);
    status = JSON.parse(up.stdout) as LabStatus;
    expect(status.running).toBe(true);
    expect(status.vms.map((vm) => vm.firmware)).toEqual(["bios", "uefi"]);
    expect(status.bootUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    // Each VM is behind its own BMC, which powered it on.
    expect(status.vms.map((vm) => vm.bmc.address)).toEqual(["192.0.2.10", "192.0.2.11"]);
    for (const vm of status.vms) {
      expect(vm.bmc).toMatchObject({ port: 623, username: "admin", running: true });
      expect(vm.power).toBe("on");
      expect(vm.consoleLog).toBe(join(dataDir, "consoles", `${vm.mac.replaceAll(":", "-")}.log`));
    }
    // The BMC passwords are in the state file, which only root may read.
    expect(statSync(labStatePath(dataDir)).mode & 0o777).toBe(0o600);
    const state = await readLabState(dataDir);
    for (const vm of state!.vms) expect(vm.bmc.password).toMatch(/^[A-Za-z0-9]{16}$/);
    expect(up.stdout).not.toContain(state!.vms[0]!.bmc.password);

    // The boot service and the EC2 API are published on the host's loopback.
    const health = await fetch(`${status.bootUrl}/healthz`);
    expect(health.status).toBe(200);
    expect(status.apiUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const unsigned = await fetch(status.apiUrl!, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "Action=DescribeInstances&Version=2016-11-15" });
    expect(unsigned.status).toBeGreaterThanOrEqual(400);
    expect(unsigned.status).toBeLessThan(500);
    expect(await unsigned.text()).toMatch(/<Code>[A-Za-z.]+<\/Code>/);

    machines = await waitForMachines(dataDir, 2, 240_000);
    console.log(`both machines enlisted ${Date.now() - started} ms after lab up started`);
    expect(machines.length, `machines enlisted before the deadline:\n${consoleTails(status)}`).toBe(2);
    for (const vm of status.vms) {
      const machine = machines.find((m) => m.interfaces.some((nic) => nic.mac === vm.mac));
      expect(machine, `no machine with ${vm.name}'s MAC ${vm.mac}`).toBeDefined();
      expect(machine).toMatchObject({ status: "new", architecture: "amd64", cpus: 1, memoryMib: 512, storageBytes: 1024 ** 3 });
      expect(machine!.interfaces).toEqual([{ mac: vm.mac, name: "eth0", boot: true }]);
      expect(machine!.hardware.firmware).toBe(vm.firmware);
      expect(machine!.hardware.dmi_vendor).toBe("QEMU");
      // The BMC as the machine found it in-band, with the user the ramdisk set up; the password redacted.
      expect(machine!.power, consoleTails(status)).toEqual({ type: "ipmi", params: { address: vm.bmc.address, username: "orchestra", password: REDACTED }, testOnly: false });
    }

    // Having reported, each VM powers itself off, and its BMC says so.
    expect(await waitForVmsToStop(dataDir, 60_000), "VMs still running after their report").toBe(0);
    const after = JSON.parse((await orchestraCli(dataDir, "lab", "status", "--json")).stdout) as LabStatus;
    expect(after.vms.map((vm) => vm.power)).toEqual(["off", "off"]);
    // The console log holds the guest's story, and never a BMC password.
    for (const vm of after.vms) {
      const console = readFileSync(vm.consoleLog, "utf8");
      expect(console).toContain("orchestra-discovery: report delivered");
      expect(console).toContain('"bmcPassword":"********"');
    }
  }, 360_000);

  it("powers a VM on and off through its BMC with the credentials it reported, with Orchestra's ipmi driver", async () => {
    expect(machines.length).toBe(2);
    const vm = status!.vms[0]!;
    const summary = machines.find((m) => m.interfaces.some((nic) => nic.mac === vm.mac))!;
    // The stored (unredacted) settings: what the lifecycle engine would use.
    const machine = await withInventory({ dataDir }, (inventory) => inventory.getMachine(summary.systemId));
    const target = powerTargetFor(machine);
    const ipmi = labPowerDrivers(status!.namespace).get("ipmi");
    expect(await ipmi.queryPower(target)).toBe("off");
    expect(await labVmProcess(dataDir, vm.name)).toBeUndefined();

    await ipmi.setBootDevice(target, "disk");
    let started = performance.now();
    await ipmi.powerOn(target);
    const onMs = performance.now() - started;
    const qemu = await labVmProcess(dataDir, vm.name);
    expect(qemu, "no qemu after power on").toBeDefined();
    // The BMC started it to boot from disk, as it was told.
    expect(readFileSync(`/proc/${qemu!.pid}/cmdline`, "utf8").split("\0")).toContain("order=c");
    expect(await ipmi.queryPower(target)).toBe("on");

    started = performance.now();
    await ipmi.powerOff(target);
    const offMs = performance.now() - started;
    expect(await labVmProcess(dataDir, vm.name), "qemu still there after power off").toBeUndefined();
    expect(await ipmi.queryPower(target)).toBe("off");
    console.log(`through the BMC, ipmi driver (incl. its verifying query): power on ${onMs.toFixed(0)} ms, power off ${offMs.toFixed(0)} ms`);
  }, 60_000);
});
