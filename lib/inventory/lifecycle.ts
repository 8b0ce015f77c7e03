/**
 * @module inventory/lifecycle
 * The machine lifecycle as data. This table is enforced by `assertTransition`, so every move
 * a machine can make is visible here and nowhere else: get it right.
 */
import { OrchestraError } from "../errors.ts";

/** Every state a machine can be in. */
export const MACHINE_STATUSES = [
  "new",
  "commissioning",
  "failed_commissioning",
  "ready",
  "allocated",
  "deploying",
  "failed_deployment",
  "deployed",
  "releasing",
  "failed_releasing",
  "disk_erasing",
  "failed_disk_erasing",
  "broken",
  "retired",
] as const;

/** A machine's state. */
export type MachineStatus = (typeof MACHINE_STATUSES)[number];

/** For each state, the states it may move to. */
export const TRANSITIONS: Readonly<Record<MachineStatus, readonly MachineStatus[]>> = {
  new: ["commissioning", "broken", "retired"],
  commissioning: ["ready", "failed_commissioning", "broken"],
  failed_commissioning: ["commissioning", "broken", "retired"],
  ready: ["allocated", "commissioning", "broken", "retired"],
  allocated: ["deploying", "releasing", "broken"],
  // Terminating a pending instance stops its deployment: the machine is powered off and released.
  deploying: ["deployed", "failed_deployment", "releasing", "broken"],
  failed_deployment: ["deploying", "releasing", "broken"],
  deployed: ["releasing", "broken"],
  releasing: ["ready", "disk_erasing", "failed_releasing", "broken"],
  failed_releasing: ["releasing", "broken"],
  disk_erasing: ["ready", "failed_disk_erasing", "broken"],
  failed_disk_erasing: ["disk_erasing", "releasing", "broken"],
  // A broken machine is trusted again only after a fresh commission.
  broken: ["commissioning", "retired"],
  retired: ["commissioning"],
};

/** In-progress states and the failed state each one ends in when it goes wrong or times out. */
export const FAILURE_STATUS: Readonly<Partial<Record<MachineStatus, MachineStatus>>> = {
  commissioning: "failed_commissioning",
  deploying: "failed_deployment",
  releasing: "failed_releasing",
  disk_erasing: "failed_disk_erasing",
};

/** How long a machine may stay in an in-progress state before it fails, in seconds (MAAS-like defaults). */
export const DEFAULT_STATUS_TIMEOUTS: Readonly<Record<InProgressStatus, number>> = {
  commissioning: 20 * 60,
  deploying: 40 * 60,
  releasing: 10 * 60,
  disk_erasing: 120 * 60,
};

/** A state that work is under way in, and that therefore has a timeout and a failed state. */
export type InProgressStatus = "commissioning" | "deploying" | "releasing" | "disk_erasing";

/** The per-state timeouts in force, in seconds. */
export type StatusTimeouts = Readonly<Record<InProgressStatus, number>>;

/** Whether `value` names a machine state. */
export function isMachineStatus(value: unknown): value is MachineStatus {
  return typeof value === "string" && (MACHINE_STATUSES as readonly string[]).includes(value);
}

/** Whether `status` is an in-progress state. */
export function isInProgress(status: MachineStatus): status is InProgressStatus {
  return status in FAILURE_STATUS;
}

/** Whether the table allows `from` → `to`. */
export function canTransition(from: MachineStatus, to: MachineStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

/** Throw ILLEGAL_TRANSITION, naming the current state and what it allows, unless `from` → `to` is legal. */
export function assertTransition(machine: string, from: MachineStatus, to: MachineStatus): void {
  if (canTransition(from, to)) return;
  const allowed = TRANSITIONS[from];
  throw new OrchestraError(
    "ILLEGAL_TRANSITION",
    `machine ${machine} is ${from}; it cannot move to ${to} (from ${from} it may move to: ${allowed.length ? allowed.join(", ") : "nothing"})`,
    { machine, from, to, allowed },
  );
}

/** Where each in-progress state leads when its work succeeds. */
export const SUCCESS_STATUS: Readonly<Record<InProgressStatus, MachineStatus>> = {
  commissioning: "ready",
  deploying: "deployed",
  releasing: "ready",
  disk_erasing: "ready",
};

/** Entering one of these ends the machine's open instance: the allocation is over. */
export const ENDS_INSTANCE: readonly MachineStatus[] = ["ready", "commissioning", "retired"];
