/**
 * @module dashboard/machine-actions
 * The operator's actions on machines, each named for its lifecycle event and mapped to the
 * state it moves to, so the dashboard offers only what the lifecycle table allows.
 */
import { isOrchestraError, OrchestraError } from "../errors.ts";
import type { Inventory } from "../inventory/inventory.ts";
import { canTransition, type MachineStatus } from "../inventory/lifecycle.ts";

/** Every action the dashboard offers, with the state it leads to (delete leads nowhere). */
export const MACHINE_ACTIONS = {
  accept: "commissioning",
  commission: "commissioning",
  release: "releasing",
  "mark-broken": "broken",
  delete: null,
} as const satisfies Record<string, MachineStatus | null>;

/** An action's name. */
export type MachineAction = keyof typeof MACHINE_ACTIONS;

/** The actions the lifecycle table allows from `status` (accept only from new; delete always, refused later if in use). */
export function allowedActions(status: MachineStatus): MachineAction[] {
  return (Object.keys(MACHINE_ACTIONS) as MachineAction[]).filter((action) => {
    if (action === "accept") return status === "new";
    if (action === "commission") return status !== "new" && canTransition(status, "commissioning");
    const to = MACHINE_ACTIONS[action];
    return to === null || canTransition(status, to);
  });
}

/** The outcome of one action on one machine. */
export type ActionResult = { systemId: string; ok: true; status: string | null } | { systemId: string; ok: false; error: { code: string; message: string } };

/** Run `action` on each machine in turn; one refusal does not stop the others. */
export async function runMachineAction(inventory: Inventory, action: MachineAction, systemIds: readonly string[], who: string, reason?: string): Promise<ActionResult[]> {
  if (action === "mark-broken" && (reason === undefined || reason.trim() === "")) throw new OrchestraError("MISSING_ARGUMENT", "say why the machines are broken (reason)", { field: "reason" });
  const results: ActionResult[] = [];
  for (const systemId of systemIds) {
    try {
      const machine =
        action === "accept" ? await inventory.accept(systemId)
        : action === "commission" ? await inventory.commission(systemId)
        : action === "release" ? await inventory.release(systemId, `released by ${who} in the dashboard`)
        : action === "mark-broken" ? await inventory.markBroken(systemId, `${reason} (${who}, dashboard)`)
        : (await inventory.deleteMachine(systemId), undefined);
      results.push({ systemId, ok: true, status: machine?.status ?? null });
    } catch (error) {
      if (!isOrchestraError(error)) throw error;
      results.push({ systemId, ok: false, error: { code: error.code, message: error.message } });
    }
  }
  return results;
}
