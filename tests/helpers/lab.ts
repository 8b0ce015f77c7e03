/**
 * Test helpers for end-to-end tests that drive `orchestra lab` as a user would.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { execa } from "execa";
import { afterAll, expect } from "vitest";
import type { MachineView } from "../../lib/inventory/machine-view.ts";
import { pidFileProcess, processStartTime } from "../../lib/lab/lab-processes.ts";
import { labNamespace, readLabState } from "../../lib/lab/lab-state.ts";
import type { LabStatus } from "../../lib/lab/lab-status.ts";

const CLI = join(import.meta.dirname, "../../lib/cli/main.ts");

/** Run the orchestra CLI on `dataDir`; never throws, the caller checks the exit code. */
export function orchestraCli(dataDir: string, ...args: string[]) {
  return execa(process.execPath, [CLI, "--data-dir", dataDir, ...args], { reject: false, all: true });
}

/** The last lines of each VM's serial console, for a failure message. */
export function consoleTails(status: LabStatus | undefined): string {
  return (status?.vms ?? []).map((vm) => `--- ${vm.name} (${vm.firmware}) console:\n${existsSync(vm.consoleLog) ? readFileSync(vm.consoleLog, "utf8").slice(-2000) : "(none)"}`).join("\n");
}

/** Poll `machines list --json` until `count` machines exist or `timeoutMs` passes. */
export async function waitForMachines(dataDir: string, count: number, timeoutMs: number): Promise<MachineView[]> {
  const deadline = Date.now() + timeoutMs;
  let machines: MachineView[] = [];
  while (Date.now() < deadline) {
    const list = await orchestraCli(dataDir, "machines", "list", "--json");
    expect(list.exitCode, list.all).toBe(0);
    machines = JSON.parse(list.stdout) as MachineView[];
    if (machines.length >= count) break;
    await sleep(2000);
  }
  return machines;
}

/** Poll `lab status` until no VM runs; returns how many still do. */
export async function waitForVmsToStop(dataDir: string, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let running = Infinity;
  while (Date.now() < deadline) {
    const status = JSON.parse((await orchestraCli(dataDir, "lab", "status", "--json")).stdout) as LabStatus;
    running = status.vms.filter((vm) => vm.running).length;
    if (running === 0) break;
    await sleep(1000);
  }
  return running;
}

/** The qemu process of a lab VM, from its pidfile, or undefined when it does not run. */
export async function labVmProcess(dataDir: string, name: string) {
  const vm = (await readLabState(dataDir))?.vms.find((v) => v.name === name);
  return vm ? pidFileProcess(`vm ${name}`, vm.bmc.pidFile) : undefined;
}

/**
 * Whether `pid` still runs as one of this lab's processes. Every lab process (serve, qemu,
 * ipmi_sim) names a file under the lab's data directory on its command line; a pid that the
 * system has since given to another program (on a busy machine, within minutes) does not.
 */
async function labProcessStillRunning(pid: number, dataDir: string): Promise<boolean> {
  if ((await processStartTime(pid)) === undefined) return false;
  const commandLine = await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "");
  return commandLine.includes(dataDir);
}

/** Take the lab down and check it left no namespace, process or lab file behind. */
export async function labDownAndCheck(dataDir: string, status: LabStatus | undefined, namespaces: readonly string[]): Promise<void> {
  const down = await orchestraCli(dataDir, "lab", "down");
  expect(down.exitCode, down.all).toBe(0);
  const listed = (await execa("ip", ["netns", "list"])).stdout;
  for (const namespace of namespaces) expect(listed).not.toContain(namespace);
  for (const pid of [status?.serve?.pid, ...(status?.vms ?? []).flatMap((vm) => [vm.pid, vm.bmc.pid])]) {
    if (pid) expect(await labProcessStillRunning(pid, dataDir), `pid ${pid} still running`).toBe(false);
  }
  expect(existsSync(join(dataDir, "lab"))).toBe(false);
  expect(existsSync(join(dataDir, "consoles"))).toBe(false);
  expect(existsSync(join(dataDir, "dnsmasq"))).toBe(false);
}

/**
 * A fresh data directory for one end-to-end lab test. After all its tests, the lab is taken
 * down and checked to have left nothing (the lab's namespace and `extraNamespaces`), and the
 * directory is removed, whether or not the tests passed. `status` gives the lab's status as
 * the test last saw it (its pids are checked to be gone).
 */
export function labTestDataDir(prefix: string, status: () => LabStatus | undefined, options: { extraNamespaces?: (dataDir: string) => string[]; timeoutMs?: number } = {}): string {
  const dataDir = mkdtempSync(join(tmpdir(), prefix));
  afterAll(async () => {
    try {
      await labDownAndCheck(dataDir, status(), [labNamespace(dataDir), ...(options.extraNamespaces?.(dataDir) ?? [])]);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, options.timeoutMs ?? 60_000);
  return dataDir;
}
