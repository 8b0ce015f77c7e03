/**
 * @module maas/operations/machine-power
 * `POST machines/{id}/?op=power_on` and `power_off`, for the owner of a machine, as EC2's
 * StartInstances and StopInstances do it: a real machine gets a power request the lifecycle
 * engine carries out through its driver; a test-only (fake) machine has no power to change.
 */
import { requestPowerWithin } from "../../inventory/power-request.ts";
import { setPoweredOff } from "../model/allocation-rows.ts";
import type { MaasContext } from "../model/maas-services.ts";
import type { MaasParams } from "../http/request-params.ts";
import { defineOperation } from "./define-operation.ts";
import { machineAnswer, ownedMachine, wrongState } from "./machine-access.ts";

async function power(context: MaasContext, params: MaasParams, id: string, on: boolean): Promise<unknown> {
  const comment = params.text("comment", { max: 1024 });
  params.text("stop_mode", { pattern: /^(hard|soft)$/, hint: "stop_mode must be hard or soft." });
  if (params.one("user_data") !== undefined) params.text("user_data", { max: 22_000, pattern: /^[A-Za-z0-9+/\r\n]*={0,2}\s*$/, hint: "user_data must be base64-encoded." });
  const { db, inventory, now } = context.services;
  await db.transaction(async (tx) => {
    const entry = await ownedMachine(tx, context, id, on ? "power on" : "power off");
    if (!["allocated", "deploying", "deployed"].includes(entry.machine.status)) throw wrongState(entry, on ? "powered on" : "powered off");
    await setPoweredOff(tx, entry.allocation.instanceId, !on);
    if (inventory.powerTypes.get(entry.machine.power.type).testOnly) return;
    await requestPowerWithin(tx, id, on ? "on" : "off", `${on ? "power_on" : "power_off"} by ${context.account} (MAAS API${comment ? `: ${comment}` : ""})`, now().toISOString());
  });
  return machineAnswer(context, id);
}

export const powerOn = defineOperation({
  method: "POST",
  resource: "machines/{id}",
  op: "power_on",
  params: ["user_data", "comment"],
  run: (context, params, id) => power(context, params, id!, true),
});

export const powerOff = defineOperation({
  method: "POST",
  resource: "machines/{id}",
  op: "power_off",
  params: ["stop_mode", "comment"],
  run: (context, params, id) => power(context, params, id!, false),
});
