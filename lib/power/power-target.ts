/**
 * @module power/power-target
 * The power driver's view of an inventory machine: who it is, its power parameters, and its
 * boot interface's MAC (which Wake-on-LAN wakes when no MAC parameter is set).
 */
import { bootMacOf, type Machine } from "../inventory/machine.ts";
import type { PowerTarget } from "./power-driver.ts";

/** The PowerTarget for `machine`. */
export function powerTargetFor(machine: Pick<Machine, "systemId" | "hostname" | "power" | "interfaces">): PowerTarget {
  const bootMac = bootMacOf(machine);
  return { systemId: machine.systemId, hostname: machine.hostname, params: machine.power.params, ...(bootMac ? { bootMac } : {}) };
}
