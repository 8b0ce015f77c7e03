/**
 * @module maas/model/allocation-rows
 * A machine as the MAAS API sees it: the inventory's machine, its open instance (whose
 * account is the MAAS `owner`), what a MAAS client attached to that instance (agent name,
 * OS, owner data) and the address its node has. Machines allocated through EC2 are owned
 * the same way, so each API sees the other's allocations.
 */
import type { Machine } from "../../inventory/machine.ts";
import { selectMachine, selectMachines, type MachineFilter } from "../../inventory/machine-rows.ts";
import type { SqlExecutor } from "../../store/sql-database.ts";

/** The allocation side of a machine. */
export interface MaasAllocation {
  readonly instanceId: string;
  readonly account: string;
  readonly agentName: string;
  readonly osystem: string;
  readonly distroSeries: string;
  readonly hweKernel: string;
  readonly poweredOff: boolean;
  readonly ownerData: Readonly<Record<string, string>>;
  /** The node's IPv4 address as the metadata service or the deploy ramdisk last learned it. */
  readonly address: string | null;
}

/** A machine with its allocation, if it has one. */
export interface MaasMachine {
  readonly machine: Machine;
  readonly allocation: MaasAllocation | undefined;
}

interface AllocationRow {
  instance_id: string;
  machine_id: string;
  account: string;
  agent_name: string | null;
  osystem: string | null;
  distro_series: string | null;
  hwe_kernel: string | null;
  powered_off: number | null;
  local_ipv4: string | null;
  node_address: string | null;
}

const OPEN_ALLOCATIONS = `SELECT i.instance_id, i.machine_id, i.account, a.agent_name, a.osystem, a.distro_series, a.hwe_kernel, a.powered_off,
  md.local_ipv4, d.node_address
  FROM instances i
  LEFT JOIN maas_allocations a ON a.instance_id = i.instance_id
  LEFT JOIN instance_metadata md ON md.instance_id = i.instance_id
  LEFT JOIN deployments d ON d.instance_id = i.instance_id
  WHERE i.ended_at IS NULL AND i.machine_id IS NOT NULL`;

async function allocations(db: SqlExecutor, systemId?: string): Promise<Map<string, MaasAllocation>> {
  const rows = systemId === undefined ? await db.all<AllocationRow>(OPEN_ALLOCATIONS) : await db.all<AllocationRow>(`${OPEN_ALLOCATIONS} AND i.machine_id = $1`, [systemId]);
  const data = systemId === undefined
    ? await db.all<{ instance_id: string; key: string; value: string }>("SELECT o.instance_id, o.key, o.value FROM maas_owner_data o JOIN instances i ON i.instance_id = o.instance_id WHERE i.ended_at IS NULL ORDER BY o.key")
    : await db.all<{ instance_id: string; key: string; value: string }>("SELECT o.instance_id, o.key, o.value FROM maas_owner_data o JOIN instances i ON i.instance_id = o.instance_id WHERE i.ended_at IS NULL AND i.machine_id = $1 ORDER BY o.key", [systemId]);
  const byInstance = new Map<string, Record<string, string>>();
  for (const row of data) {
    const entry = byInstance.get(row.instance_id) ?? {};
    entry[row.key] = row.value;
    byInstance.set(row.instance_id, entry);
  }
  const out = new Map<string, MaasAllocation>();
  for (const row of rows) {
    out.set(row.machine_id, {
      instanceId: row.instance_id,
      account: row.account,
      agentName: row.agent_name ?? "",
      osystem: row.osystem ?? "",
      distroSeries: row.distro_series ?? "",
      hweKernel: row.hwe_kernel ?? "",
      poweredOff: row.powered_off === 1,
      ownerData: byInstance.get(row.instance_id) ?? {},
      address: row.local_ipv4 ?? row.node_address ?? null,
    });
  }
  return out;
}

/** Whether `account` may see a machine: it is nobody's, or it is the account's own. */
export function visibleTo(entry: MaasMachine, account: string): boolean {
  return entry.allocation === undefined || entry.allocation.account === account;
}

/** Every machine visible to `account`, in hostname order. */
export async function loadVisibleMachines(db: SqlExecutor, account: string, filter: MachineFilter = {}): Promise<MaasMachine[]> {
  const [machines, open] = await Promise.all([selectMachines(db, filter), allocations(db)]);
  return machines.map((machine) => ({ machine, allocation: open.get(machine.systemId) })).filter((entry) => visibleTo(entry, account));
}

/** One machine by system id, if `account` may see it. */
export async function loadVisibleMachine(db: SqlExecutor, account: string, systemId: string): Promise<MaasMachine | undefined> {
  const machine = await selectMachine(db, systemId);
  if (!machine) return undefined;
  const entry = { machine, allocation: (await allocations(db, systemId)).get(systemId) };
  return visibleTo(entry, account) ? entry : undefined;
}

/** Record what a MAAS client attached to a new allocation. */
export async function insertMaasAllocation(tx: SqlExecutor, instanceId: string, agentName: string, comment: string): Promise<void> {
  await tx.run("INSERT INTO maas_allocations (instance_id, agent_name, comment) VALUES ($1, $2, $3)", [instanceId, agentName, comment]);
}

/** Record the OS a deployment was asked for (the row is created for an instance EC2 allocated). */
export async function recordDeployRequest(tx: SqlExecutor, instanceId: string, osystem: string, series: string, hweKernel: string): Promise<void> {
  const changed = await tx.run("UPDATE maas_allocations SET osystem = $2, distro_series = $3, hwe_kernel = $4, powered_off = 0 WHERE instance_id = $1", [instanceId, osystem, series, hweKernel]);
  if (changed === 0) await tx.run("INSERT INTO maas_allocations (instance_id, osystem, distro_series, hwe_kernel) VALUES ($1, $2, $3, $4)", [instanceId, osystem, series, hweKernel]);
}

/** Set (or, with an empty value, remove) owner data keys. */
export async function setOwnerData(tx: SqlExecutor, instanceId: string, entries: readonly (readonly [string, string])[]): Promise<void> {
  for (const [key, value] of entries) {
    await tx.run("DELETE FROM maas_owner_data WHERE instance_id = $1 AND key = $2", [instanceId, key]);
    if (value !== "") await tx.run("INSERT INTO maas_owner_data (instance_id, key, value) VALUES ($1, $2, $3)", [instanceId, key, value]);
  }
}

/** Record a power request's effect on what `power_state` shows. */
export async function setPoweredOff(tx: SqlExecutor, instanceId: string, off: boolean): Promise<void> {
  const changed = await tx.run("UPDATE maas_allocations SET powered_off = $2 WHERE instance_id = $1", [instanceId, off ? 1 : 0]);
  if (changed === 0) await tx.run("INSERT INTO maas_allocations (instance_id, powered_off) VALUES ($1, $2)", [instanceId, off ? 1 : 0]);
}
