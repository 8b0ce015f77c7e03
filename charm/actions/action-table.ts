/**
 * @module charm/actions/action-table
 * Every action in actions.yaml, by name, to its handler.
 */
import type { ActionHandler } from "./action-context.ts";
import { createCredentials } from "./create-credentials.ts";
import { importImages } from "./import-images.ts";
import { acceptMachines, commissionMachines, enlistMachine, listMachinesAction } from "./machine-actions.ts";

/** The handlers, keyed as in actions.yaml (tests check the two agree). */
export const ACTIONS: Readonly<Record<string, ActionHandler>> = {
  "create-credentials": createCredentials,
  "import-images": importImages,
  "list-machines": listMachinesAction,
  "accept-machines": acceptMachines,
  "commission-machines": commissionMachines,
  "enlist-machine": enlistMachine,
};
