/**
 * @module maas/operations/machine-access
 * Finding a machine for an operation and answering it: another account's machine does not
 * exist for the caller (404, as EC2 hides other accounts' instances); a visible machine the
 * caller does not own is refused (403); every answer is the machine as it is after the change.
 */
import { OrchestraError } from "../../errors.ts";
import type { SqlExecutor } from "../../store/sql-database.ts";
import { loadVisibleMachine, type MaasAllocation, type MaasMachine } from "../model/allocation-rows.ts";
import { machineJson } from "../model/machine-json.ts";
import { maasNetwork } from "../model/network-json.ts";
import type { MaasContext } from "../model/maas-services.ts";
import { MAAS_STATUS } from "../model/status-names.ts";

/** MAAS's 404 body for a machine. */
export function machineNotFound(): OrchestraError {
  return new OrchestraError("MAAS_NOT_FOUND", "No Machine matches the given query.");
}

/** A machine the caller may see, or 404. */
export async function visibleMachine(db: SqlExecutor, context: MaasContext, systemId: string): Promise<MaasMachine> {
  const entry = await loadVisibleMachine(db, context.account, systemId);
  if (!entry) throw machineNotFound();
  return entry;
}

/** A machine allocated to the caller, or 404 (invisible) / 403 (nobody's). */
export async function ownedMachine(db: SqlExecutor, context: MaasContext, systemId: string, action: string): Promise<MaasMachine & { allocation: MaasAllocation }> {
  const entry = await visibleMachine(db, context, systemId);
  if (!entry.allocation) {
    throw new OrchestraError("MAAS_FORBIDDEN", `You do not have permission to ${action} machine ${systemId}: it is ${MAAS_STATUS[entry.machine.status].name} and not allocated to you.`, { machine: systemId });
  }
  return entry as MaasMachine & { allocation: MaasAllocation };
}

/** The machine as JSON, read afresh. */
export async function machineAnswer(context: MaasContext, systemId: string): Promise<Record<string, unknown>> {
  const { db, topology } = context.services;
  const [entry, network] = await Promise.all([visibleMachine(db, context, systemId), maasNetwork(db, topology)]);
  return machineJson(entry, network, network.zones);
}

/** MAAS's 409 for an operation the machine's state does not allow. */
export function wrongState(entry: MaasMachine, action: string): OrchestraError {
  return new OrchestraError("MAAS_WRONG_STATE", `Machine cannot be ${action} in its current state ('${MAAS_STATUS[entry.machine.status].name}').`, { machine: entry.machine.systemId, status: entry.machine.status });
}
