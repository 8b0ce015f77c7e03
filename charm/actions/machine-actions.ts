/**
 * @module charm/actions/machine-actions
 * The inventory actions: list-machines, accept-machines, commission-machines, enlist-machine.
 */
import { listMachines, orchestraCli, countByStatus, type MachineSummary } from "../workloads/orchestra-cli.ts";
import { ActionRefused, words, type ActionHandler } from "./action-context.ts";

const MAC = /^[0-9a-fA-F]{2}([:-][0-9a-fA-F]{2}){5}$/;
const POWER_TYPES = ["ipmi", "wol", "redfish", "qemu", "manual"];

function summaries(value: unknown): MachineSummary[] {
  return Array.isArray(value) ? (value as MachineSummary[]) : [];
}

/** Lists machines, optionally only those in one state. */
export const listMachinesAction: ActionHandler = async ({ params, host, settings }) => {
  const status = typeof params.status === "string" && params.status !== "" ? params.status : undefined;
  const machines = (await listMachines(host, settings)).filter((m) => status === undefined || m.status === status);
  return {
    count: machines.length,
    counts: JSON.stringify(countByStatus(machines)),
    machines: JSON.stringify(machines.map((m) => ({ systemId: m.systemId, hostname: m.hostname, status: m.status }))),
  };
};

function lifecycleAction(verb: "accept" | "commission"): ActionHandler {
  return async ({ params, host, settings }) => {
    const refs = words(params, "machines");
    const machines = summaries(await orchestraCli(host, settings, ["machines", verb, ...refs]));
    return { count: machines.length, machines: machines.map((m) => `${m.systemId}:${m.status}`).join(" ") };
  };
}

/** Accepts new machines (they go to commissioning). */
export const acceptMachines = lifecycleAction("accept");
/** (Re)commissions machines. */
export const commissionMachines = lifecycleAction("commission");

/** Registers one machine by hand. */
export const enlistMachine: ActionHandler = async ({ params, host, settings }) => {
  const mac = String(params.mac ?? "");
  if (!MAC.test(mac)) throw new ActionRefused(`mac "${mac}" is not a MAC address (six hex octets)`);
  const powerType = String(params["power-type"] ?? "");
  if (!POWER_TYPES.includes(powerType)) throw new ActionRefused(`power-type "${powerType}" must be one of ${POWER_TYPES.join(", ")}`);
  const powerParams = typeof params["power-params"] === "string" ? params["power-params"].split(/\s+/).filter((w) => w !== "") : [];
  for (const p of powerParams) {
    if (!/^[a-z][a-z0-9_-]*=.+$/.test(p)) throw new ActionRefused(`power-params: "${p}" is not key=value`);
  }
  const argv = ["machines", "add", "--mac", mac, "--power-type", powerType, "--arch", String(params.arch ?? "amd64")];
  for (const p of powerParams) argv.push("--power-param", p);
  if (typeof params.hostname === "string" && params.hostname !== "") argv.push("--hostname", params.hostname);
  const machine = (await orchestraCli(host, settings, argv)) as Partial<MachineSummary> | null;
  if (!machine?.systemId) throw new Error("orchestra machines add printed no machine");
  return { "system-id": machine.systemId, hostname: machine.hostname ?? "", status: machine.status ?? "" };
};
