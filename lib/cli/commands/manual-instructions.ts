/**
 * @module cli/commands/manual-instructions
 * What the operator must do by hand for a `manual` machine that has just entered a state with
 * a power step: printed where the operator is, not only in the server's log.
 */
import type { Machine } from "../../inventory/machine.ts";

/**
 * What the operator must do by hand for machines with `manual` power now in a state with a
 * power step (the engine can only log it): the manual driver's own words, one line each.
 */
export async function manualInstructions(machines: readonly Machine[]): Promise<string> {
  const [{ POWER_PLAN }, { ManualPowerDriver }, { powerTargetFor }] = await Promise.all([
    import("../../engine/power-plan.ts"),
    import("../../power/manual.ts"),
    import("../../power/power-target.ts"),
  ]);
  const driver = new ManualPowerDriver();
  const lines: string[] = [];
  for (const machine of machines) {
    const plan = POWER_PLAN[machine.status];
    if (machine.power.type !== driver.type || !plan) continue;
    const target = powerTargetFor(machine);
    const steps = [...(plan.bootDevice ? [await driver.setBootDevice(target, plan.bootDevice)] : []), plan.power === "cycle" ? await driver.powerCycle(target) : await driver.powerOff(target)];
    lines.push(`${machine.hostname}: ${steps.map((r) => r.message).join("; ")}\n`);
  }
  return lines.join("");
}

