/**
 * @module maas/operations/operation-table
 * Every MAAS operation Orchestra answers, in one table: what is not here is refused.
 */
import { allocateMachine } from "./allocate-machine.ts";
import { listBootResources, listDevices, listTags } from "./catalogue-resources.ts";
import type { MaasOperation } from "./define-operation.ts";
import { deployMachine } from "./deploy-machine.ts";
import { powerOff, powerOn } from "./machine-power.ts";
import { NETWORK_OPERATIONS } from "./network-resources.ts";
import { setMachineOwnerData } from "./owner-data.ts";
import { listMachines, readMachine } from "./read-machines.ts";
import { releaseMachine, releaseMachines } from "./release-machines.ts";
import { version, whoami } from "./server-info.ts";

export const MAAS_OPERATIONS: readonly MaasOperation[] = [
  version,
  whoami,
  ...NETWORK_OPERATIONS,
  listBootResources,
  listTags,
  listDevices,
  listMachines,
  readMachine,
  allocateMachine,
  releaseMachines,
  releaseMachine,
  deployMachine,
  setMachineOwnerData,
  powerOn,
  powerOff,
];
