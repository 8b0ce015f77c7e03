/**
 * @module maas/operations/read-machines
 * `GET machines/` with MAAS's filters (id, hostname, mac_address, agent_name, zone, pool,
 * tags, domain, status), and `GET machines/{id}/`. Owner data is filtered by the client,
 * as gomaasapi does: MAAS's API has no filter for it.
 */
import { parseMac } from "../../inventory/mac-address.ts";
import { loadVisibleMachines } from "../model/allocation-rows.ts";
import { machineJson } from "../model/machine-json.ts";
import { DEFAULT_POOL, DOMAIN, maasNetwork } from "../model/network-json.ts";
import { MAAS_STATUS } from "../model/status-names.ts";
import { badParameter } from "../http/request-params.ts";
import { defineOperation } from "./define-operation.ts";
import { machineAnswer } from "./machine-access.ts";

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$/;

export const listMachines = defineOperation({
  method: "GET",
  resource: "machines",
  op: "",
  params: ["id", "hostname", "mac_address", "agent_name", "zone", "pool", "tags", "domain", "status"],
  async run(context, params) {
    const { db, topology } = context.services;
    const ids = params.nameList("id", /^[a-z0-9]{1,64}$/, "Invalid system id");
    const hostnames = params.nameList("hostname", NAME, "Invalid hostname").map((h) => h.split(".")[0]!);
    const macs = params.all("mac_address").map((m) => {
      try {
        return parseMac(m);
      } catch {
        throw badParameter("mac_address", `'${m.slice(0, 32)}' is not a valid MAC address.`);
      }
    });
    const tags = params.nameList("tags", NAME, "Invalid tag name");
    const agentName = params.text("agent_name");
    const zone = params.text("zone");
    const pool = params.text("pool");
    const domain = params.text("domain");
    const status = params.text("status");
    const [machines, network] = await Promise.all([loadVisibleMachines(db, context.account), maasNetwork(db, topology)]);
    const chosen = machines.filter(({ machine, allocation }) =>
      (ids.length === 0 || ids.includes(machine.systemId)) &&
      (hostnames.length === 0 || hostnames.includes(machine.hostname)) &&
      (macs.length === 0 || machine.interfaces.some((nic) => macs.includes(nic.mac))) &&
      tags.every((tag) => machine.tags.includes(tag)) &&
      (agentName === undefined || allocation?.agentName === agentName) &&
      (zone === undefined || machine.zone === zone) &&
      (pool === undefined || pool === DEFAULT_POOL) &&
      (domain === undefined || domain === DOMAIN) &&
      (status === undefined || MAAS_STATUS[machine.status].name.toLowerCase().replaceAll(" ", "_") === status.toLowerCase() || MAAS_STATUS[machine.status].name === status),
    );
    return chosen.map((entry) => machineJson(entry, network, network.zones));
  },
});

export const readMachine = defineOperation({
  method: "GET",
  resource: "machines/{id}",
  op: "",
  params: [],
  run: (context, _params, id) => machineAnswer(context, id!),
});
