/**
 * @module lab/lab-bmc
 * A lab VM's BMC: writing ipmi_sim's files, starting it inside the lab's namespace, and
 * reaching it the way Orchestra reaches any BMC, through the `ipmi` power driver (with
 * ipmitool run inside the namespace, where the BMCs' addresses are).
 */
import { randomInt } from "node:crypto";
import { chmod, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { OrchestraError } from "../errors.ts";
import { IpmiPowerDriver } from "../power/ipmi.ts";
import type { PowerTarget } from "../power/power-driver.ts";
import { PowerError } from "../power/power-errors.ts";
import { builtinPowerTypes } from "../power/power-types.ts";
import { PowerDriverRegistry } from "../power/registry.ts";
import { renderBmcEmulatorCommands, renderBmcLanConfig, renderLanConfigProgram } from "./bmc-config.ts";
import { renderChassisControl } from "./chassis-control.ts";
import { startDetached } from "./lab-processes.ts";
import type { LabProcess, LabVm } from "./lab-state.ts";
import { qemuArgv } from "./qemu-argv.ts";

const PASSWORD_ALPHABET = "ABCDEFGHIJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz0123456789";

/** A random BMC password: 16 characters (IPMI's classic limit), about 94 bits. */
export function randomBmcPassword(): string {
  return Array.from({ length: 16 }, () => PASSWORD_ALPHABET[randomInt(PASSWORD_ALPHABET.length)]).join("");
}

/** The ipmi driver with ipmitool run inside `namespace`; short waits, since the BMCs are local. */
export function labIpmiDriver(namespace: string): IpmiPowerDriver {
  return new IpmiPowerDriver({ tool: "ipmitool", commandPrefix: ["ip", "netns", "exec", namespace], answerTimeoutSeconds: 1, resends: 2, commandTimeoutMs: 15_000 });
}

/** A registry holding only that driver: validated, retried and verified like the server's. */
export function labPowerDrivers(namespace: string): PowerDriverRegistry {
  return new PowerDriverRegistry(builtinPowerTypes(), { policy: { delaysMs: [500, 1000, 2000], attemptTimeoutMs: 30_000 } }).register(labIpmiDriver(namespace));
}

/** The power target of a VM's BMC, as a machine with these ipmi settings would have it. */
export function bmcTarget(vm: LabVm): PowerTarget {
  const { address, port, username, password } = vm.bmc;
  return { systemId: vm.name, hostname: vm.name, params: { address, port: String(port), username, password } };
}

/**
 * Write the BMC's files into `vm.bmc.dir`: configuration (0600, it holds the password),
 * programs, and the boot device qemu starts with until ipmi_sim is told otherwise.
 */
export async function writeBmcFiles(vm: LabVm, prefixLength: number, gateway: string, varsPath?: string): Promise<{ config: string; commands: string; state: string }> {
  const { dir } = vm.bmc;
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const chassisControl = join(dir, "chassis-control.sh");
  const lanConfigProgram = join(dir, "lan-config.sh");
  const config = join(dir, "lan.conf");
  const commands = join(dir, "emu.cmd");
  await writeFile(chassisControl, renderChassisControl({
    name: vm.name,
    startPxe: qemuArgv(vm, "pxe", varsPath),
    startDisk: qemuArgv(vm, "disk", varsPath),
    pidFile: vm.bmc.pidFile,
    bootFile: join(dir, "boot"),
    logFile: join(dir, "qemu.log"),
  }), { mode: 0o700 });
  const netmask = prefixToNetmask(prefixLength);
  await writeFile(lanConfigProgram, renderLanConfigProgram({ address: vm.bmc.address, netmask, gateway }), { mode: 0o700 });
  await writeFile(config, renderBmcLanConfig({ name: vm.name, address: vm.bmc.address, port: vm.bmc.port, serialPort: vm.bmc.serialPort, username: vm.bmc.username, password: vm.bmc.password, chassisControl, lanConfigProgram }), { mode: 0o600 });
  // writeFile's mode applies only to a new file: make sure of it.
  await chmod(config, 0o600);
  await writeFile(commands, renderBmcEmulatorCommands());
  return { config, commands, state: join(dir, "state") };
}

/** A dotted netmask for a prefix length. */
export function prefixToNetmask(prefixLength: number): string {
  const bits = prefixLength === 0 ? 0 : (0xffffffff << (32 - prefixLength)) >>> 0;
  return [24, 16, 8, 0].map((shift) => (bits >>> shift) & 0xff).join(".");
}

/** Start the VM's ipmi_sim inside `namespace`; resolves once its process exists. */
export async function startBmc(namespace: string, vm: LabVm, files: { config: string; commands: string; state: string }): Promise<LabProcess> {
  return startDetached(`bmc ${vm.name}`, ["ip", "netns", "exec", namespace, "ipmi_sim", "-c", files.config, "-f", files.commands, "-s", files.state, "-n"], join(vm.bmc.dir, "ipmi_sim.log"));
}

/** Wait until the VM's BMC answers a power query over the LAN; throws LAB_FAILED after `timeoutMs`. */
export async function waitForBmc(driver: IpmiPowerDriver, vm: LabVm, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await driver.queryPower(bmcTarget(vm));
      return;
    } catch (error) {
      if (!(error instanceof PowerError) || !error.retryable || Date.now() > deadline) {
        throw new OrchestraError("LAB_FAILED", `the BMC of ${vm.name} (${vm.bmc.address}:${vm.bmc.port}) does not answer: ${(error as Error).message}`, { vm: vm.name }, { cause: error });
      }
      await sleep(200);
    }
  }
}
