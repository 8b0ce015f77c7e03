/**
 * @module maas/operations/catalogue-resources
 * `boot-resources/`, `tags/` and `devices/`: what Juju reads to know which releases it can
 * ask for, which tags constraints may name, and which container devices exist (Orchestra
 * registers none: containers on deployed machines are outside its inventory).
 */
import { selectMachines } from "../../inventory/machine-rows.ts";
import { bootResourcesJson } from "../model/boot-resources.ts";
import { MAAS_API_PATH } from "../model/maas-services.ts";
import { defineOperation } from "./define-operation.ts";

export const listBootResources = defineOperation({
  method: "GET",
  resource: "boot-resources",
  op: "",
  params: ["type"],
  run: async (context) => bootResourcesJson(await context.services.images()),
});

export const listTags = defineOperation({
  method: "GET",
  resource: "tags",
  op: "",
  params: [],
  async run(context) {
    const tags = [...new Set((await selectMachines(context.services.db, {})).flatMap((m) => m.tags))].sort();
    return tags.map((name) => ({ name, comment: "", definition: "", kernel_opts: "", resource_uri: `${MAAS_API_PATH}/tags/${encodeURIComponent(name)}/` }));
  },
});

export const listDevices = defineOperation({
  method: "GET",
  resource: "devices",
  op: "",
  params: ["hostname", "mac_address", "id", "domain", "zone", "pool", "agent_name"],
  run: async () => [],
});
