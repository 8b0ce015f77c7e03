export { Inventory, type Allocation, type InventoryOptions, type ListMachinesFilter, type MachineStateEntry } from "./inventory.ts";
export type { Disk, Machine, MachineBootView, MachineEvent, NetworkInterface, PowerSettings } from "./machine.ts";
export { allocationCost, storageBytes } from "./machine.ts";
export { machineView, type MachineView } from "./machine-view.ts";
export { ARCHITECTURES, DEFAULT_ZONE, validateMachineInput, type NewMachineInput, type ValidMachineInput } from "./machine-input.ts";
export { parseMac } from "./mac-address.ts";
export {
  assertTransition,
  canTransition,
  DEFAULT_STATUS_TIMEOUTS,
  ENDS_INSTANCE,
  FAILURE_STATUS,
  isInProgress,
  isMachineStatus,
  MACHINE_STATUSES,
  SUCCESS_STATUS,
  TRANSITIONS,
  type InProgressStatus,
  type MachineStatus,
  type StatusTimeouts,
} from "./lifecycle.ts";
export { BUILTIN_INSTANCE_TYPES, validateInstanceType, type InstanceType } from "./instance-type.ts";
export { describeConstraints, machineFits, resolveConstraints, type AllocationConstraints, type ResolvedConstraints } from "./constraints.ts";
export type { Instance } from "./instance.ts";
export { isInstanceId, newInstanceId, newSystemId } from "./ids.ts";
export { completePowerRequest, failPowerRequest, POWER_REQUEST_MIGRATION, requestPowerWithin, selectPowerRequests, type PowerRequest, type PowerRequestAction } from "./power-request.ts";
export { accountNumber } from "./account-number.ts";
