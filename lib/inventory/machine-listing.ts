/**
 * @module inventory/machine-listing
 * The machine listing (`orchestra machines list --json`) as JSON text: every machine's view
 * (machine-view.ts) with the open instance it holds. On SQLite the database writes the text
 * itself, one json_object per machine in one json_group_array: listing 10,000 machines
 * built 10,000 row objects, parsed their JSON columns and opened their sealed power settings
 * only to print them again (375 ms; tests/bench/inventory.ts). The columns hold JSON that
 * Orchestra wrote and checked on the way in, so they are passed through, not re-validated.
 * PostgreSQL builds the same document from the views in JavaScript.
 * tests/inventory/machine-listing.test.ts holds the two to one text.
 */
import type { PowerTypeRegistry } from "../power/power-types.ts";
import type { SqlExecutor, SqlValue } from "../store/sql-database.ts";
import type { Instance } from "./instance.ts";
import type { Machine } from "./machine.ts";
import type { MachineFilter } from "./machine-rows.ts";
import { machineView, type MachineView } from "./machine-view.ts";

/** A machine as listed: its view and the open instance it holds, if any. */
export type ListedMachine = MachineView & { instance: Pick<Instance, "instanceId" | "account"> | null };

/** What a listing is narrowed to: the SQL filter, and a tag every machine listed has. */
export interface ListingFilter extends Pick<MachineFilter, "status" | "zone" | "architecture"> {
  tag?: string;
}

/** Each machine's listed form, given the open instances. */
export function listedMachines(machines: readonly Machine[], openInstances: readonly Instance[], powerTypes: PowerTypeRegistry): ListedMachine[] {
  const open = new Map(openInstances.filter((i) => i.endedAt === null && i.systemId !== null).map((i) => [i.systemId!, i]));
  return machines.map((m) => {
    const instance = open.get(m.systemId);
    return { ...machineView(m, powerTypes), instance: instance ? { instanceId: instance.instanceId, account: instance.account } : null };
  });
}

/** JSON's `true` or `false` from an SQL condition, as a JSON value (not the text "true"). */
const jsonBoolean = (condition: string) => `CASE WHEN ${condition} THEN json('true') ELSE json('false') END`;

/**
 * The listing as SQLite writes it: keys in machineView's order, then `instance`. `indent`
 * (spaces) pretty-prints as JSON.stringify(value, null, indent) does; 0 gives compact text.
 */
export async function sqliteListingJson(db: SqlExecutor, filter: ListingFilter, powerTypes: PowerTypeRegistry, indent: number): Promise<string> {
  const params: SqlValue[] = [];
  const bind = (value: SqlValue) => {
    params.push(value);
    return `$${params.length}`;
  };
  const where: string[] = [];
  if (filter.status !== undefined) where.push(`status = ${bind(filter.status)}`);
  if (filter.zone !== undefined) where.push(`zone = ${bind(filter.zone)}`);
  if (filter.architecture !== undefined) where.push(`architecture = ${bind(filter.architecture)}`);
  if (filter.tag !== undefined) where.push(`EXISTS (SELECT 1 FROM json_each(machines.tags) AS t WHERE t.value = ${bind(filter.tag)})`);
  const testOnly = powerTypes.names().filter((name) => powerTypes.get(name).testOnly === true);
  const testOnlySql = testOnly.length ? jsonBoolean(`m.power_type IN (${testOnly.map(bind).join(", ")})`) : "json('false')";
  const machine = `json_object(
    'systemId', m.system_id, 'hostname', m.hostname, 'status', m.status, 'statusMessage', m.status_message,
    'architecture', m.architecture, 'cpus', m.cpus, 'memoryMib', m.memory_mib, 'storageBytes', m.storage_bytes,
    'disks', json(m.disks),
    'interfaces', (SELECT json_group_array(json_object('mac', i.mac, 'name', i.name, 'boot', ${jsonBoolean("i.boot = 1")}) ORDER BY i.position) FROM interfaces AS i WHERE i.machine_id = m.system_id),
    'hardware', json(m.hardware),
    'power', json_object('type', m.power_type, 'params', json(m.power_params_redacted), 'testOnly', ${testOnlySql}),
    'zone', m.zone, 'tags', json(m.tags),
    'statusChangedAt', m.status_changed_at, 'createdAt', m.created_at, 'updatedAt', m.updated_at,
    'instance', (SELECT json_object('instanceId', x.instance_id, 'account', x.account) FROM instances AS x WHERE x.machine_id = m.system_id AND x.ended_at IS NULL)
  )`;
  const list = `json_group_array(${machine})`;
  const document = indent > 0 ? `json_pretty(${list}, ${bind(" ".repeat(indent))})` : list;
  // Hostname order from the ordered subquery (a walk of the hostname index), which SQLite
  // keeps for an aggregate over it: json_group_array(... ORDER BY) sorted the finished
  // objects in a temporary B-tree instead, twice the cost at 10,000 machines.
  const machines = `SELECT * FROM machines${where.length ? ` WHERE ${where.join(" AND ")}` : ""} ORDER BY hostname`;
  const row = await db.get<{ listing: string }>(`SELECT ${document} AS listing FROM (${machines}) AS m`, params);
  return row!.listing;
}
