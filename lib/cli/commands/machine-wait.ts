/**
 * @module cli/commands/machine-wait
 * `orchestra machines wait --status S`: block until machines reach a state (commissioning and
 * deploying take minutes), showing each change on a terminal as it happens. `machines deploy
 * --wait` waits the same way.
 */
import { Command } from "commander";
import { OrchestraError } from "../../errors.ts";
import type { Inventory } from "../../inventory/inventory.ts";
import { FAILURE_STATUS, MACHINE_STATUSES, type MachineStatus } from "../../inventory/lifecycle.ts";
import type { Machine } from "../../inventory/machine.ts";
import { withInventory } from "../context.ts";
import { printJson } from "../output.ts";
import { parseWholeNumber } from "../parse-options.ts";

/** How to wait. */
export interface WaitOptions {
  readonly timeoutMs: number;
  readonly intervalMs: number;
  /** Whether to show each change on stderr (a terminal, and not --json). */
  readonly progress: boolean;
  /** What to add to a machine's progress line beyond its state, e.g. a deployment's bytes written. */
  readonly detail?: (machine: Machine) => Promise<string>;
}

/**
 * Wait until every machine is `wanted`; answers them then.
 * @throws WAIT_FAILED as soon as one lands in a failed state instead; WAIT_TIMED_OUT after the timeout.
 */
export async function waitForStatus(inventory: Inventory, refs: readonly string[], wanted: MachineStatus, options: WaitOptions): Promise<Machine[]> {
  const failed = new Set<string>(Object.values(FAILURE_STATUS));
  const deadline = Date.now() + options.timeoutMs;
  const seen = new Map<string, string>();
  for (;;) {
    const machines = await Promise.all(refs.map((ref) => inventory.getMachine(ref)));
    for (const m of machines) {
      const extra = options.progress && options.detail ? await options.detail(m) : "";
      const line = `${m.status}${m.statusMessage ? ` (${m.statusMessage})` : ""}${extra ? `; ${extra}` : ""}`;
      if (options.progress && seen.get(m.systemId) !== line) process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${m.hostname}: ${line}\n`);
      seen.set(m.systemId, line);
    }
    const broken = machines.find((m) => m.status !== wanted && failed.has(m.status));
    if (broken) throw new OrchestraError("WAIT_FAILED", `machine ${broken.hostname} is ${broken.status}, not ${wanted}: ${broken.statusMessage || "no reason given"}`, { systemId: broken.systemId });
    if (machines.every((m) => m.status === wanted)) return machines;
    if (Date.now() >= deadline) {
      const late = machines.filter((m) => m.status !== wanted).map((m) => `${m.hostname} is ${m.status}`);
      throw new OrchestraError("WAIT_TIMED_OUT", `gave up after ${options.timeoutMs / 1000} s waiting for ${wanted}: ${late.join(", ")}`);
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs));
  }
}

/** --timeout-seconds and --interval-ms, checked. */
export function waitTimes(o: { timeoutSeconds: string; intervalMs: string }): { timeoutMs: number; intervalMs: number } {
  return { timeoutMs: parseWholeNumber("--timeout-seconds", o.timeoutSeconds) * 1000, intervalMs: Math.max(50, parseWholeNumber("--interval-ms", o.intervalMs)) };
}

/** The `machines wait` command. */
export function waitCommand(): Command {
  return new Command("wait")
    .description("wait until machines reach a state; fails at once if one lands in a failed state instead")
    .argument("<machine...>", "system id, hostname or MAC address")
    .requiredOption("--status <status>", "the state to wait for, e.g. ready or deployed")
    .option("--timeout-seconds <n>", "give up after this long", "1800")
    .option("--interval-ms <n>", "how often to look", "1000")
    .option("--json", "print the machines' final states as JSON")
    .action(async (refs: string[], _options, command: Command) => {
      const o = command.optsWithGlobals();
      const wanted = o.status as MachineStatus;
      if (!(MACHINE_STATUSES as readonly string[]).includes(wanted)) throw new OrchestraError("INVALID_ARGUMENT", `invalid --status ${JSON.stringify(o.status)}: one of ${MACHINE_STATUSES.join(", ")}`);
      const times = waitTimes(o as { timeoutSeconds: string; intervalMs: string });
      await withInventory(o, async (inventory) => {
        const machines = await waitForStatus(inventory, refs, wanted, { ...times, progress: process.stderr.isTTY === true && !o.json });
        if (o.json) printJson(machines.map((m) => ({ systemId: m.systemId, hostname: m.hostname, status: m.status })));
        else process.stdout.write(machines.map((m) => `${m.hostname}: ${m.status}`).join("\n") + "\n");
      });
    });
}
