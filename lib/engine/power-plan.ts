/**
 * @module engine/power-plan
 * What the engine does to a machine's power when the machine enters a state, as a table.
 * Entering the state is the database write; this is the hardware catching up with it.
 */
import type { BootDevice } from "../power/power-driver.ts";
import type { MachineStatus } from "../inventory/lifecycle.ts";

/** One state's power step: set the next boot device, act on power, then maybe move on. */
export interface PowerStep {
  readonly bootDevice?: BootDevice;
  readonly power: "cycle" | "off";
  /** The state to move to once the power action is done (releasing ends with the power off). */
  readonly then?: MachineStatus;
}

/** The power step for each state that has one. */
export const POWER_PLAN: Readonly<Partial<Record<MachineStatus, PowerStep>>> = {
  // Network-boot the commissioning ramdisk; its hardware report moves the machine to ready.
  commissioning: { bootDevice: "pxe", power: "cycle" },
  // Network-boot the deploy ramdisk; its report moves the machine to deployed.
  deploying: { bootDevice: "pxe", power: "cycle" },
  // Releasing powers the machine off; then it is back in the pool (or its disks are erased first, when the engine is told to).
  releasing: { power: "off", then: "ready" },
  // Network-boot the Orchestra ramdisk in erase mode; its report moves the machine to ready.
  disk_erasing: { bootDevice: "pxe", power: "cycle" },
};
