/**
 * @module maas/operations/allocate-machine
 * `POST machines/?op=allocate`: the inventory's own allocation (cheapest ready machine
 * first, in one transaction, so the MAAS and EC2 APIs never hand out one machine twice),
 * with MAAS's constraints. Those the inventory knows (arch, cpu_count, mem, tags, zone) go
 * to it as they are; the rest (name, system_id, not_tags, not_in_zone, storage, interfaces)
 * narrow the candidates first, inside the same transaction.
 */
import { OrchestraError, isOrchestraError } from "../../errors.ts";
import { ARCHITECTURES } from "../../inventory/machine-input.ts";
import { selectMachines } from "../../inventory/machine-rows.ts";
import type { Machine } from "../../inventory/machine.ts";
import { insertMaasAllocation } from "../model/allocation-rows.ts";
import { blockDeviceId, interfaceId } from "../model/machine-json.ts";
import { DEFAULT_POOL, SPACE, maasNetwork } from "../model/network-json.ts";
import { badParameter, type MaasParams } from "../http/request-params.ts";
import { defineOperation } from "./define-operation.ts";
import { machineAnswer } from "./machine-access.ts";

const NAME = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,252}$/;
/** The largest CPU count and memory the inventory records for a machine. */
const MAX_CPUS = 65_536;
const MAX_MEMORY_MIB = 2 ** 30;
/** MAAS sizes storage constraints in GB of 10^9 bytes. */
const GB = 1e9;

/** One `storage` constraint: `label:size(tag,...)`. */
interface StorageSpec {
  readonly label: string;
  readonly bytes: number;
  readonly tags: readonly string[];
}

/** One `interfaces` constraint: `label:space=name`. */
interface InterfaceSpec {
  readonly label: string;
  readonly space: string;
}

function parseStorage(value: string | undefined): StorageSpec[] {
  if (value === undefined || value.trim() === "") return [];
  return value.split(",").map((raw, index) => {
    const match = /^(?:([A-Za-z0-9_-]{1,64}):)?(\d+(?:\.\d+)?)(?:\(([A-Za-z0-9_,.-]*)\))?$/.exec(raw.trim());
    if (!match || Number(match[2]) <= 0) throw badParameter("storage", `Malformed storage constraint, "${raw.slice(0, 64)}".`);
    return { label: match[1] ?? String(index), bytes: Number(match[2]) * GB, tags: match[3] ? match[3].split(",").filter(Boolean) : [] };
  });
}

function parseInterfaces(value: string | undefined): InterfaceSpec[] {
  if (value === undefined || value.trim() === "") return [];
  return value.split(";").map((raw) => {
    const match = /^([A-Za-z0-9_-]{1,64}):space=([^,;=]{1,256})$/.exec(raw.trim());
    if (!match) throw badParameter("interfaces", `Malformed interfaces constraint, "${raw.slice(0, 64)}": Orchestra takes label:space=NAME.`);
    return { label: match[1]!, space: match[2]! };
  });
}

function parseArch(params: MaasParams): string | undefined {
  const value = params.text("arch");
  if (value === undefined || value === "") return undefined;
  const arch = value.split("/")[0]!;
  if (!(ARCHITECTURES as readonly string[]).includes(arch) || !/^[a-z0-9]+(\/(generic|\*))?$/.test(value)) throw badParameter("arch", "Architecture not recognised.");
  return arch;
}

/** Which disks meet the storage specs (each a different disk, the first spec the boot disk), or undefined. */
function matchStorage(machine: Machine, specs: readonly StorageSpec[]): Map<string, number[]> | undefined {
  const used = new Set<number>();
  const matches = new Map<string, number[]>();
  for (const [index, spec] of specs.entries()) {
    // Disks carry no tags in Orchestra's inventory, so a tagged spec meets none.
    const candidates = machine.disks.map((d, i) => [d, i] as const).filter(([d, i]) => !used.has(i) && d.sizeBytes >= spec.bytes && spec.tags.length === 0 && (index > 0 || i === 0));
    const found = candidates[0];
    if (!found) return undefined;
    used.add(found[1]);
    matches.set(spec.label, [blockDeviceId(machine.systemId, found[0].name)]);
  }
  return matches;
}

/** Which interfaces meet the interface specs (each a different interface), or undefined. */
function matchInterfaces(machine: Machine, specs: readonly InterfaceSpec[]): Map<string, number[]> | undefined {
  if (specs.length > machine.interfaces.length) return undefined;
  // Every interface is on the one untagged VLAN of the one space.
  if (specs.some((s) => s.space !== SPACE.name && s.space !== String(SPACE.id))) return undefined;
  return new Map(specs.map((spec, i) => [spec.label, [interfaceId(machine.interfaces[i]!.mac)]]));
}

const UNSUPPORTED = ["fabrics", "not_fabrics", "fabric_classes", "not_fabric_classes", "subnets", "not_subnets", "networks", "not_networks", "connected_to", "not_connected_to", "pod", "not_pod", "pod_type", "not_pod_type", "devices", "dry_run", "verbose", "bridge_all", "bridge_stp", "bridge_fd"];

export const allocateMachine = defineOperation({
  method: "POST",
  resource: "machines",
  op: "allocate",
  params: ["name", "system_id", "arch", "cpu_count", "mem", "tags", "not_tags", "zone", "not_in_zone", "pool", "not_in_pool", "storage", "interfaces", "agent_name", "comment", ...UNSUPPORTED],
  async run(context, params) {
    const unsupported = UNSUPPORTED.find((name) => params.one(name) !== undefined && !(name === "dry_run" && params.flag(name) === false));
    if (unsupported) throw badParameter(unsupported, `The ${unsupported} constraint is not supported by Orchestra.`);
    const arch = parseArch(params);
    const cpuCount = params.number("cpu_count", "Invalid CPU count: number required.");
    const mem = params.number("mem", "Invalid memory: number of MiB required.");
    const tags = params.nameList("tags", NAME, "Invalid tag name");
    const notTags = params.nameList("not_tags", NAME, "Invalid tag name");
    const zone = params.text("zone", { max: 64 });
    const notInZone = params.nameList("not_in_zone", NAME, "Invalid zone name");
    const pool = params.text("pool", { max: 64 });
    const notInPool = params.nameList("not_in_pool", NAME, "Invalid pool name");
    const name = params.text("name", { max: 253 });
    const systemId = params.text("system_id", { max: 64 });
    const storage = parseStorage(params.text("storage", { max: 4096 }));
    const interfaces = parseInterfaces(params.text("interfaces", { max: 4096 }));
    const agentName = params.text("agent_name") ?? "";
    const comment = params.text("comment", { max: 1024 }) ?? "";
    const { db, inventory, topology } = context.services;
    if (pool !== undefined && pool !== DEFAULT_POOL) throw badParameter("pool", `No such pool: '${pool}'.`);
    // Beyond what the inventory can record a machine having: a valid ask that nothing meets.
    if ((cpuCount ?? 0) > MAX_CPUS || (mem ?? 0) > MAX_MEMORY_MIB) throw new OrchestraError("MAAS_NO_MATCH", `No available machine matches constraints: ${describe(params)}`);

    const allocated = await db.transaction(async (tx) => {
      const network = await maasNetwork(tx, topology);
      if (zone !== undefined && !network.zones.includes(zone)) throw badParameter("zone", `No such zone: '${zone}'.`);
      const knownTags = new Set((await selectMachines(tx, {})).flatMap((m) => m.tags));
      const unknown = tags.filter((t) => !knownTags.has(t));
      if (unknown.length) throw badParameter("tags", `No such tag(s): ${unknown.map((t) => `'${t}'`).join(", ")}.`);
      const ready = await selectMachines(tx, { status: "ready" });
      const candidates = ready.filter(
        (m) =>
          (name === undefined || m.hostname === name.split(".")[0]) &&
          (systemId === undefined || m.systemId === systemId) &&
          !notTags.some((t) => m.tags.includes(t)) &&
          !notInZone.includes(m.zone) &&
          !notInPool.includes(DEFAULT_POOL) &&
          matchStorage(m, storage) !== undefined &&
          matchInterfaces(m, interfaces) !== undefined,
      );
      try {
        const allocation = await inventory.allocateWithin(
          tx,
          {
            ...(arch ? { architecture: arch } : {}),
            ...(zone ? { zone } : {}),
            ...(cpuCount ? { minCpus: cpuCount } : {}),
            ...(mem ? { minMemoryMib: mem } : {}),
            tags,
            systemIds: candidates.map((m) => m.systemId),
          },
          context.account,
        );
        await insertMaasAllocation(tx, allocation.instance.instanceId, agentName, comment);
        return allocation.machine;
      } catch (error) {
        if (!isOrchestraError(error, "NO_CAPACITY")) throw error;
        throw new OrchestraError("MAAS_NO_MATCH", `No available machine matches constraints: ${describe(params)}`, {}, { cause: error });
      }
    });
    const answer = await machineAnswer(context, allocated.systemId);
    const storageMatches = matchStorage(allocated, storage)!;
    const interfaceMatches = matchInterfaces(allocated, interfaces)!;
    return {
      ...answer,
      constraints_by_type: {
        ...(storage.length ? { storage: Object.fromEntries(storageMatches) } : {}),
        ...(interfaces.length ? { interfaces: Object.fromEntries(interfaceMatches) } : {}),
      },
    };
  },
});

/** The constraints as MAAS words them in its 409: `[('cpu_count', ['8']), ...]`. */
function describe(params: MaasParams): string {
  const parts = params
    .names()
    .filter((n) => n !== "op" && n !== "comment")
    .sort()
    .map((n) => `('${n}', [${params.all(n).map((v) => `'${v.slice(0, 64)}'`).join(", ")}])`);
  return `[${parts.join(", ")}]`;
}
