/**
 * @module lab/lab-status
 * `orchestra lab status`: the lab's addresses and each VM with its MAC, pid, whether it is
 * still running and where its console log is.
 */
import { isRunning } from "./lab-processes.ts";
import { readLabState } from "./lab-state.ts";
import { namespaceExists } from "./network-namespace.ts";

/** The lab as `lab status --json` prints it. */
export interface LabStatus {
  readonly running: boolean;
  readonly namespace: string;
  readonly dhcpMode: "dhcp" | "proxy";
  /** The EC2 endpoint on the host's loopback; null until the server has an EC2 listener. */
  readonly apiUrl: string | null;
  /** The boot service on the host's loopback. */
  readonly bootUrl: string | null;
  /** The boot service as the VMs reach it, inside the namespace. */
  readonly nodeBootUrl: string;
  readonly serve: { readonly pid: number; readonly running: boolean } | null;
  readonly vms: ReadonlyArray<{ readonly name: string; readonly mac: string; readonly firmware: string; readonly pid: number | null; readonly running: boolean; readonly consoleLog: string; readonly qmpSocket: string }>;
}

/** The lab's status, or undefined when none exists for `dataDir`. */
export async function labStatus(dataDir: string): Promise<LabStatus | undefined> {
  const state = await readLabState(dataDir);
  if (!state) return undefined;
  const vms = [];
  for (const vm of state.vms) {
    vms.push({ name: vm.name, mac: vm.mac, firmware: vm.firmware, pid: vm.process?.pid ?? null, running: vm.process ? await isRunning(vm.process) : false, consoleLog: vm.consoleLog, qmpSocket: vm.qmpSocket });
  }
  const serveRunning = state.serve ? await isRunning(state.serve) : false;
  return {
    running: serveRunning && (await namespaceExists(state.namespace)),
    namespace: state.namespace,
    dhcpMode: state.dhcpMode,
    apiUrl: null,
    bootUrl: state.hostBootUrl ?? null,
    nodeBootUrl: `http://${state.serverAddress}:${state.bootPort}`,
    serve: state.serve ? { pid: state.serve.pid, running: serveRunning } : null,
    vms,
  };
}
