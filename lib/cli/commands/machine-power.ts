/**
 * @module cli/commands/machine-power
 * `orchestra machines power on|off|cycle|status`: the operator's hands on a machine's power,
 * through its driver and the driver's retry loop, now (not through the lifecycle: the
 * machine's state does not change).
 */
import { Command } from "commander";
import { OrchestraError } from "../../errors.ts";
import type { PowerDriver, PowerTarget } from "../../power/power-driver.ts";
import { powerTargetFor } from "../../power/power-target.ts";
import { withInventory } from "../context.ts";
import { printJson } from "../output.ts";

const ACTIONS = {
  on: (driver: PowerDriver, target: PowerTarget) => driver.powerOn(target),
  off: (driver: PowerDriver, target: PowerTarget) => driver.powerOff(target),
  cycle: (driver: PowerDriver, target: PowerTarget) => driver.powerCycle(target),
} as const;

/** The `machines power` command. */
export function powerCommand(): Command {
  return new Command("power")
    .description("power machines on, off or cycle them, or ask their power state, through their BMC now")
    .argument("<action>", "on, off, cycle or status")
    .argument("<machine...>", "system id, hostname or MAC address")
    .option("--json", "print JSON")
    .action(async (action: string, refs: string[], _options, command: Command) => {
      const o = command.optsWithGlobals();
      if (action !== "status" && !(action in ACTIONS)) throw new OrchestraError("INVALID_ARGUMENT", `invalid power action ${JSON.stringify(action)}: on, off, cycle or status`);
      const { builtinPowerDrivers } = await import("../../power/registry.ts");
      const drivers = builtinPowerDrivers();
      await withInventory(o, async (inventory) => {
        const machines = await Promise.all(refs.map((ref) => inventory.getMachine(ref)));
        const results = [];
        for (const [i, machine] of machines.entries()) {
          const driver = drivers.get(machine.power.type);
          const target = powerTargetFor(machine);
          const name = refs[i] === machine.systemId ? machine.systemId : `${refs[i]} (${machine.systemId})`;
          if (action === "status") {
            const state = await driver.queryPower(target);
            results.push({ systemId: machine.systemId, hostname: machine.hostname, power: state });
            if (!o.json) process.stdout.write(`${name}: ${state}${inventory.powerTypes.get(machine.power.type).testOnly ? " (fake power: TEST ONLY)" : ""}\n`);
          } else {
            const result = await ACTIONS[action as keyof typeof ACTIONS](driver, target);
            results.push({ systemId: machine.systemId, hostname: machine.hostname, outcome: result.outcome, message: result.message });
            // A manual machine's instruction goes to the operator here, not only to a server log.
            if (!o.json) process.stdout.write(`${name}: ${result.message}\n`);
          }
        }
        if (o.json) printJson(results);
      });
    });
}
