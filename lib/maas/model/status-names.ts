/**
 * @module maas/model/status-names
 * Orchestra's lifecycle states under MAAS's names and numbers (maasserver/enum.py NODE_STATUS),
 * which clients compare as strings: Juju waits for `Deployed` and gives up on `Failed deployment`.
 */
import type { MachineStatus } from "../../inventory/lifecycle.ts";

/** MAAS's status number and name for each state. */
export const MAAS_STATUS: Readonly<Record<MachineStatus, { readonly code: number; readonly name: string }>> = {
  new: { code: 0, name: "New" },
  commissioning: { code: 1, name: "Commissioning" },
  failed_commissioning: { code: 2, name: "Failed commissioning" },
  ready: { code: 4, name: "Ready" },
  deployed: { code: 6, name: "Deployed" },
  retired: { code: 7, name: "Retired" },
  broken: { code: 8, name: "Broken" },
  deploying: { code: 9, name: "Deploying" },
  allocated: { code: 10, name: "Allocated" },
  failed_deployment: { code: 11, name: "Failed deployment" },
  releasing: { code: 12, name: "Releasing" },
  failed_releasing: { code: 13, name: "Releasing failed" },
  disk_erasing: { code: 14, name: "Disk erasing" },
  failed_disk_erasing: { code: 15, name: "Failed disk erasing" },
};
