/**
 * @module lab/lab-status
 * `orchestra lab status`: the lab's addresses and each VM with its MAC, its BMC and the
 * power state that BMC reports, its qemu pid, and where its console log is.
 */
import type { PowerState } from "../power/power-driver.ts";
import { bmcTarget, labIpmiDriver } from "./lab-bmc.ts";
import { isRunning, pidFileProcess } from "./lab-processes.ts";
import { readLabState } from "./lab-state.ts";
import { namespaceExists } from "./network-namespace.ts";

/** One VM as `lab status --json` prints it. */
export interface LabVmStatus {
  readonly name: string;
  readonly mac: string;
  readonly firmware: string;
  /** The VM's BMC (its password is in the lab's state file, readable by root only). */
  readonly bmc: { readonly address: string; readonly port: number; readonly username: string; readonly pid: number | null; readonly running: boolean };
  /** What the BMC says, asked over IPMI; `unknown` when it does not answer. */
  readonly power: PowerState;
  /** The qemu process, from its pidfile. */
  readonly pid: number | null;
  readonly running: boolean;
  readonly consoleLog: string;
  readonly qmpSocket: string;
}

/** The lab as `lab status --json` prints it. */
export interface LabStatus {
  readonly running: boolean;
  readonly namespace: string;
  readonly dhcpMode: "dhcp" | "proxy";
  /** Whether the lab's server shares deploy images peer to peer (`lab up --fanout`). */
  readonly fanout: boolean;
  /** The EC2 endpoint on the host's loopback. */
  readonly apiUrl: string | null;
  /** The boot service on the host's loopback. */
  readonly bootUrl: string | null;
  /** The boot service as the VMs reach it, inside the namespace. */
  readonly nodeBootUrl: string;
  readonly serve: { readonly pid: number; readonly running: boolean } | null;
  readonly vms: readonly LabVmStatus[];
}

/** The lab's status, or undefined when none exists for `dataDir`. */
export async function labStatus(dataDir: string): Promise<LabStatus | undefined> {
  const state = await readLabState(dataDir);
  if (!state) return undefined;
  const namespaceUp = await namespaceExists(state.namespace);
  const driver = labIpmiDriver(state.namespace);
  const vms = await Promise.all(
    state.vms.map(async (vm): Promise<LabVmStatus> => {
      const qemu = await pidFileProcess(`vm ${vm.name}`, vm.bmc.pidFile);
      const bmcRunning = vm.bmc.process ? await isRunning(vm.bmc.process) : false;
      const power = bmcRunning && namespaceUp ? await driver.queryPower(bmcTarget(vm)).catch((): PowerState => "unknown") : "unknown";
      return {
        name: vm.name,
        mac: vm.mac,
        firmware: vm.firmware,
        bmc: { address: vm.bmc.address, port: vm.bmc.port, username: vm.bmc.username, pid: vm.bmc.process?.pid ?? null, running: bmcRunning },
        power,
        pid: qemu?.pid ?? null,
        running: qemu !== undefined,
        consoleLog: vm.consoleLog,
        qmpSocket: vm.qmpSocket,
      };
    }),
  );
  const serveRunning = state.serve ? await isRunning(state.serve) : false;
  return {
    running: serveRunning && namespaceUp,
    namespace: state.namespace,
    dhcpMode: state.dhcpMode,
    fanout: state.fanout === true,
    apiUrl: state.hostApiUrl ?? null,
    bootUrl: state.hostBootUrl ?? null,
    nodeBootUrl: `http://${state.serverAddress}:${state.bootPort}`,
    serve: state.serve ? { pid: state.serve.pid, running: serveRunning } : null,
    vms,
  };
}
