/**
 * @module maas/operations/owner-data
 * `POST machines/{id}/?op=set_owner_data`: key=value pairs the owner keeps on its allocation
 * (Juju records its model and controller there); an empty value removes a key. The data
 * lives with the allocation and ends with it.
 */
import { setOwnerData } from "../model/allocation-rows.ts";
import { badParameter } from "../http/request-params.ts";
import { defineOperation } from "./define-operation.ts";
import { machineAnswer, ownedMachine } from "./machine-access.ts";

const KEY = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,254}$/;
const MAX_VALUE = 4096;
const MAX_KEYS = 64;

export const setMachineOwnerData = defineOperation({
  method: "POST",
  resource: "machines/{id}",
  op: "set_owner_data",
  params: "*",
  async run(context, params, id) {
    const entries = params.names().filter((name) => name !== "op").map((name) => [name, params.one(name)!] as const);
    if (entries.length > MAX_KEYS) throw badParameter("owner_data", `At most ${MAX_KEYS} keys can be set at once.`);
    for (const [key, value] of entries) {
      if (!KEY.test(key)) throw badParameter(key.slice(0, 64) || "key", "Owner data keys are letters, digits and . _ : / - (at most 255).");
      if (value.length > MAX_VALUE) throw badParameter(key, `Owner data values are at most ${MAX_VALUE} characters.`);
    }
    await context.services.db.transaction(async (tx) => {
      const entry = await ownedMachine(tx, context, id!, "set owner data on");
      await setOwnerData(tx, entry.allocation.instanceId, entries);
    });
    return machineAnswer(context, id!);
  },
});
