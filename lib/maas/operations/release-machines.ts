/**
 * @module maas/operations/release-machines
 * `POST machines/{id}/?op=release` and `POST machines/?op=release` (several at once, all or
 * none): the machine goes through Releasing back to Ready as a terminated EC2 instance's does,
 * and its allocation (agent name, owner data) ends with it.
 */
import { OrchestraError } from "../../errors.ts";
import type { MachineStatus } from "../../inventory/lifecycle.ts";
import type { SqlExecutor } from "../../store/sql-database.ts";
import { loadVisibleMachine } from "../model/allocation-rows.ts";
import type { MaasContext } from "../model/maas-services.ts";
import { badParameter } from "../http/request-params.ts";
import { defineOperation } from "./define-operation.ts";
import { machineAnswer, ownedMachine, wrongState } from "./machine-access.ts";

const RELEASABLE: readonly MachineStatus[] = ["allocated", "deploying", "deployed", "failed_deployment"];
const FLAGS = ["erase", "secure_erase", "quick_erase", "force"];

async function release(tx: SqlExecutor, context: MaasContext, systemId: string, comment: string | undefined): Promise<void> {
  const entry = await ownedMachine(tx, context, systemId, "release");
  if (!RELEASABLE.includes(entry.machine.status)) throw wrongState(entry, "released");
  const reason = `released by ${context.account} (MAAS API${comment ? `: ${comment}` : ""})`;
  await context.services.inventory.transitionWithin(tx, systemId, "releasing", reason);
}

export const releaseMachine = defineOperation({
  method: "POST",
  resource: "machines/{id}",
  op: "release",
  params: ["comment", ...FLAGS],
  async run(context, params, id) {
    for (const flag of FLAGS) params.flag(flag);
    const comment = params.text("comment", { max: 1024 });
    await context.services.db.transaction((tx) => release(tx, context, id!, comment));
    return machineAnswer(context, id!);
  },
});

export const releaseMachines = defineOperation({
  method: "POST",
  resource: "machines",
  op: "release",
  params: ["machines", "comment"],
  async run(context, params) {
    const ids = params.nameList("machines", /^[a-z0-9]{1,64}$/, "Invalid system id");
    const comment = params.text("comment", { max: 1024 });
    if (ids.length === 0) throw badParameter("machines", "This field is required.");
    await context.services.db.transaction(async (tx) => {
      const unknown = [];
      for (const id of ids) if (!(await loadVisibleMachine(tx, context.account, id))) unknown.push(id);
      if (unknown.length) throw new OrchestraError("MAAS_BAD_PARAMETER", `Unknown machine(s): ${unknown.join(", ")}.`, { parameter: "machines", plain: true });
      for (const id of new Set(ids)) await release(tx, context, id, comment);
    });
    return [...new Set(ids)];
  },
});
