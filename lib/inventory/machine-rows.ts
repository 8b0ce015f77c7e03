/**
 * @module inventory/machine-rows
 * The SQL behind the inventory's machines: the one place that knows how a Machine is laid
 * out in tables. Written once in portable SQL for SQLite and PostgreSQL.
 */
import { ensureZone } from "./zone-rows.ts";
import type { PowerTypeRegistry } from "../power/power-types.ts";
import type { Migration } from "../store/migrations.ts";
import type { SqlDatabase, SqlExecutor } from "../store/sql-database.ts";
import type { StoreSecrets } from "../store/store-secrets.ts";
import type { MachineStatus } from "./lifecycle.ts";
import { storageBytes, type Disk, type Machine, type MachineBootView, type MachineEvent, type NetworkInterface } from "./machine.ts";

interface MachineRow {
  system_id: string;
  hostname: string;
  architecture: string;
  cpus: number;
  memory_mib: number;
  disks: string;
  hardware: string;
  zone: string;
  tags: string;
  power_type: string;
  power_params: string;
  power_params_redacted: string | null;
  status: string;
  status_message: string;
  status_changed_at: string;
  created_at: string;
  updated_at: string;
}

interface InterfaceRow {
  mac: string;
  machine_id: string;
  name: string;
  boot: number;
}

const MACHINE_COLUMNS =
  "system_id, hostname, architecture, cpus, memory_mib, disks, hardware, zone, tags, power_type, power_params, power_params_redacted, status, status_message, status_changed_at, created_at, updated_at";

/**
 * A redacted copy of each machine's power settings beside the sealed ones: what every view
 * shows (the power type's non-secret settings, each secret as REDACTED), readable without
 * opening the seal. Listing 10,000 machines opened 10,000 AES-GCM boxes only to print
 * "********" (tests/bench/inventory.ts). The copy is redacted by the power types' schema
 * when written; a release that makes a setting secret must set the column back to NULL
 * (`fillRedactedPower` writes it again, from the sealed settings). Rows from before this
 * step are filled the same way, the first time a listing needs them; the partial index
 * finds them without a scan.
 */
export const REDACTED_POWER_MIGRATION: Migration = {
  // The task numbered this step 18; it is 15 here because checkMigrationOrder refuses a gap.
  version: 15,
  name: "redacted copy of machines' power settings",
  statements: () => ["ALTER TABLE machines ADD COLUMN power_params_redacted TEXT", "CREATE INDEX machines_power_unredacted ON machines (system_id) WHERE power_params_redacted IS NULL"],
};

/**
 * Schema step 20: machines_by_status goes. machines_by_cost starts with the status, so every
 * lookup by status still walks an index, and a status change (each step of a deployment)
 * wrote a page of one index fewer to the write-ahead log.
 */
export const MACHINES_BY_STATUS_MIGRATION: Migration = {
  version: 20,
  name: "machines_by_status dropped (machines_by_cost leads with status)",
  statements: () => ["DROP INDEX machines_by_status"],
};

/** The context a machine's sealed power settings are bound to: they open for that machine only. */
export function powerSecretContext(systemId: string): string {
  return `machine:${systemId}:power`;
}

/** Power settings as stored: sealed whole (they hold the BMC password) with the store's key. */
export function storedPowerParams(secrets: StoreSecrets, systemId: string, params: Readonly<Record<string, string>>): string {
  return secrets.seal(JSON.stringify(params), powerSecretContext(systemId));
}

/** Power settings as a view shows them, stored beside the sealed ones: `powerTypes` says which are secret. */
function redactedPowerParams(powerTypes: PowerTypeRegistry, power: Machine["power"]): string {
  return JSON.stringify(powerTypes.redactParams(power.type, power.params));
}

/**
 * A machine's power settings, opened from their sealed column when first read: most reads of
 * a machine (lists, boot scripts, the engine's scan) never look at them, and opening them
 * was most of a row's cost (profiled in tests/bench/deploy-overhead.ts).
 */
function lazyPower(type: string, sealed: string, redacted: string | null, secrets: StoreSecrets, systemId: string): Machine["power"] {
  let params: Record<string, string> | undefined;
  const power = {
    type,
    get params() {
      params ??= JSON.parse(secrets.open(sealed, powerSecretContext(systemId))) as Record<string, string>;
      return params;
    },
  };
  // Not enumerable: a machine read back still equals the machine written, and a copy made
  // by spreading (settings about to change) does not carry a stale redacted copy along.
  if (redacted !== null) Object.defineProperty(power, "redactedParams", { value: JSON.parse(redacted) as Record<string, string>, enumerable: false });
  return power;
}

function toMachine(row: MachineRow, interfaces: NetworkInterface[], secrets: StoreSecrets): Machine {
  return {
    systemId: row.system_id,
    hostname: row.hostname,
    architecture: row.architecture,
    cpus: Number(row.cpus),
    memoryMib: Number(row.memory_mib),
    disks: JSON.parse(row.disks),
    interfaces,
    hardware: JSON.parse(row.hardware),
    power: lazyPower(row.power_type, row.power_params, row.power_params_redacted, secrets, row.system_id),
    zone: row.zone,
    tags: JSON.parse(row.tags),
    status: row.status as MachineStatus,
    statusMessage: row.status_message,
    statusChangedAt: row.status_changed_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function toInterface(row: InterfaceRow): NetworkInterface {
  return { mac: row.mac, name: row.name, boot: Number(row.boot) === 1 };
}

/** Insert a machine and its interfaces; `powerTypes` says which power settings are secret. The caller runs this inside a transaction. */
export async function insertMachine(tx: SqlExecutor, machine: Machine, powerTypes: PowerTypeRegistry): Promise<void> {
  await ensureZone(tx, machine.zone, machine.createdAt);
  await tx.run(`INSERT INTO machines (${MACHINE_COLUMNS}, storage_bytes) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)`, [
    machine.systemId,
    machine.hostname,
    machine.architecture,
    machine.cpus,
    machine.memoryMib,
    JSON.stringify(machine.disks),
    JSON.stringify(machine.hardware),
    machine.zone,
    JSON.stringify(machine.tags),
    machine.power.type,
    storedPowerParams(tx.secrets, machine.systemId, machine.power.params),
    redactedPowerParams(powerTypes, machine.power),
    machine.status,
    machine.statusMessage,
    machine.statusChangedAt,
    machine.createdAt,
    machine.updatedAt,
    storageBytes(machine.disks),
  ]);
  let position = 0;
  for (const nic of machine.interfaces) {
    await tx.run("INSERT INTO interfaces (mac, machine_id, name, boot, position) VALUES ($1, $2, $3, $4, $5)", [nic.mac, machine.systemId, nic.name, nic.boot ? 1 : 0, position++]);
  }
}

/** Replace a machine's hardware description (commissioning refreshes it). */
export async function updateMachineHardware(tx: SqlExecutor, machine: Machine): Promise<void> {
  await tx.run("UPDATE machines SET architecture = $2, cpus = $3, memory_mib = $4, disks = $5, storage_bytes = $6, hardware = $7, updated_at = $8 WHERE system_id = $1", [
    machine.systemId,
    machine.architecture,
    machine.cpus,
    machine.memoryMib,
    JSON.stringify(machine.disks),
    storageBytes(machine.disks),
    JSON.stringify(machine.hardware),
    machine.updatedAt,
  ]);
}

/** Replace what an operator may change by hand: hostname, zone, tags and power settings (`powerTypes` says which are secret). */
export async function updateMachineSettings(tx: SqlExecutor, machine: Machine, powerTypes: PowerTypeRegistry): Promise<void> {
  await ensureZone(tx, machine.zone, machine.updatedAt);
  await tx.run("UPDATE machines SET hostname = $2, zone = $3, tags = $4, power_type = $5, power_params = $6, power_params_redacted = $7, updated_at = $8 WHERE system_id = $1", [
    machine.systemId,
    machine.hostname,
    machine.zone,
    JSON.stringify(machine.tags),
    machine.power.type,
    // Sealed like every other write of them: stored plain, a new BMC password waited for the next open of the store.
    storedPowerParams(tx.secrets, machine.systemId, machine.power.params),
    redactedPowerParams(powerTypes, machine.power),
    machine.updatedAt,
  ]);
}

/** Replace a machine's power settings (commissioning sets up the BMC user afresh); `powerTypes` says which are secret. */
export async function updateMachinePower(tx: SqlExecutor, machine: Machine, powerTypes: PowerTypeRegistry): Promise<void> {
  await tx.run("UPDATE machines SET power_type = $2, power_params = $3, power_params_redacted = $4, updated_at = $5 WHERE system_id = $1", [
    machine.systemId,
    machine.power.type,
    storedPowerParams(tx.secrets, machine.systemId, machine.power.params),
    redactedPowerParams(powerTypes, machine.power),
    machine.updatedAt,
  ]);
}

/**
 * Write the redacted copy of every machine's power settings that has none (rows from before
 * REDACTED_POWER_MIGRATION), from the sealed settings. A row whose settings changed since
 * it was read is left for the next call: its writer wrote the copy itself. Returns how many it filled.
 */
export async function fillRedactedPower(db: SqlDatabase, powerTypes: PowerTypeRegistry): Promise<number> {
  const missing = await db.all<{ system_id: string; power_type: string; power_params: string }>("SELECT system_id, power_type, power_params FROM machines WHERE power_params_redacted IS NULL");
  if (missing.length === 0) return 0;
  return db.transaction(async (tx) => {
    let filled = 0;
    for (const row of missing) {
      const params = JSON.parse(tx.secrets.open(row.power_params, powerSecretContext(row.system_id))) as Record<string, string>;
      filled += await tx.run("UPDATE machines SET power_params_redacted = $3 WHERE system_id = $1 AND power_params = $2 AND power_params_redacted IS NULL", [
        row.system_id,
        row.power_params,
        redactedPowerParams(powerTypes, { type: row.power_type, params }),
      ]);
    }
    return filled;
  });
}

/** One machine by system id, with its interfaces. */
export async function selectMachine(tx: SqlExecutor, systemId: string): Promise<Machine | undefined> {
  return withInterfaces(tx, await tx.get<MachineRow>(`SELECT ${MACHINE_COLUMNS} FROM machines WHERE system_id = $1`, [systemId]));
}

/** The machine that owns `mac`, with its interfaces, in two reads (a boot script's every request asks by MAC). */
export async function selectMachineByMac(tx: SqlExecutor, mac: string): Promise<Machine | undefined> {
  return withInterfaces(tx, await tx.get<MachineRow>(`SELECT ${MACHINE_COLUMNS} FROM machines WHERE system_id = (SELECT machine_id FROM interfaces WHERE mac = $1)`, [mac]));
}

/** A machine's disks by system id, without the rest of its row; undefined when it is gone. */
export async function selectDisks(tx: SqlExecutor, systemId: string): Promise<Disk[] | undefined> {
  const row = await tx.get<{ disks: string }>("SELECT disks FROM machines WHERE system_id = $1", [systemId]);
  return row && (JSON.parse(row.disks) as Disk[]);
}

/**
 * The boot view of the machine that owns `mac`, in one read. Every boot script asks by MAC
 * (twice a deployment, and on every boot of a deployed machine): the whole machine was two
 * statements, and parsing its hardware document (free-form facts: six from Orchestra's own
 * commissioning, but as many as an operator or an import gives, 35 KB in tests/bench/status-change.ts), for
 * a script that uses four columns.
 */
export async function selectBootViewByMac(tx: SqlExecutor, mac: string): Promise<MachineBootView | undefined> {
  const row = await tx.get<{ system_id: string; architecture: string; status: string; status_changed_at: string }>(
    "SELECT m.system_id, m.architecture, m.status, m.status_changed_at FROM interfaces i JOIN machines m ON m.system_id = i.machine_id WHERE i.mac = $1",
    [mac],
  );
  return row && { systemId: row.system_id, architecture: row.architecture, status: row.status as MachineStatus, statusChangedAt: row.status_changed_at };
}

async function withInterfaces(tx: SqlExecutor, row: MachineRow | undefined): Promise<Machine | undefined> {
  if (!row) return undefined;
  return toMachine(row, await selectInterfaces(tx, row.system_id), tx.secrets);
}

/**
 * A candidate read in this transaction, made whole with its interfaces: its row is not read
 * again (allocation takes the candidates it weighed, and a second read of the row was most of
 * what the chosen machine cost). Answers it as selectMachine would.
 */
export async function completeCandidate(tx: SqlExecutor, candidate: MachineCandidate): Promise<Machine> {
  const interfaces = await selectInterfaces(tx, candidate.systemId);
  // In toMachine's order: a machine reads the same whichever way it was made.
  const { systemId, hostname, architecture, cpus, memoryMib, disks, ...rest } = candidate;
  return { systemId, hostname, architecture, cpus, memoryMib, disks, interfaces, ...rest };
}

async function selectInterfaces(tx: SqlExecutor, systemId: string): Promise<NetworkInterface[]> {
  const nics = await tx.all<InterfaceRow>("SELECT mac, machine_id, name, boot FROM interfaces WHERE machine_id = $1 ORDER BY position", [systemId]);
  return nics.map(toInterface);
}

/** What moving a machine needs of it: its state entry and its power type (a test-only one may finish at once); undefined when it is gone. */
export async function selectMoveState(tx: SqlExecutor, systemId: string): Promise<{ status: MachineStatus; statusChangedAt: string; powerType: string } | undefined> {
  const row = await tx.get<{ status: string; status_changed_at: string; power_type: string }>("SELECT status, status_changed_at, power_type FROM machines WHERE system_id = $1", [systemId]);
  return row && { status: row.status as MachineStatus, statusChangedAt: row.status_changed_at, powerType: row.power_type };
}

/** A machine's state entry (status and when it entered it), without the rest of its row; undefined when it is gone. */
export async function selectStateEntry(tx: SqlExecutor, systemId: string): Promise<{ status: MachineStatus; statusChangedAt: string } | undefined> {
  const row = await tx.get<{ status: string; status_changed_at: string }>("SELECT status, status_changed_at FROM machines WHERE system_id = $1", [systemId]);
  return row && { status: row.status as MachineStatus, statusChangedAt: row.status_changed_at };
}

/** The system id that owns `mac`, if any. */
export async function selectSystemIdByMac(tx: SqlExecutor, mac: string): Promise<string | undefined> {
  return (await tx.get<{ machine_id: string }>("SELECT machine_id FROM interfaces WHERE mac = $1", [mac]))?.machine_id;
}

/** The system id of the machine called `hostname`, if any. */
export async function selectSystemIdByHostname(tx: SqlExecutor, hostname: string): Promise<string | undefined> {
  return (await tx.get<{ system_id: string }>("SELECT system_id FROM machines WHERE hostname = $1", [hostname]))?.system_id;
}

/** Filters for listing machines; each narrows the list. */
export interface MachineFilter {
  status?: MachineStatus;
  zone?: string;
  architecture?: string;
  /** Machines whose storage and size allow these minimums (allocation's coarse cut). */
  minCpus?: number;
  minMemoryMib?: number;
  minStorageBytes?: number;
}

/** The WHERE clause (with its parameters) of the machines matching `filter`. */
function machineWhere(filter: MachineFilter): { whereSql: string; params: (string | number)[] } {
  const where: string[] = [];
  const params: (string | number)[] = [];
  const add = (clause: string, value: string | number) => {
    params.push(value);
    where.push(clause.replace("?", `$${params.length}`));
  };
  if (filter.status !== undefined) add("status = ?", filter.status);
  if (filter.zone !== undefined) add("zone = ?", filter.zone);
  if (filter.architecture !== undefined) add("architecture = ?", filter.architecture);
  if (filter.minCpus) add("cpus >= ?", filter.minCpus);
  if (filter.minMemoryMib) add("memory_mib >= ?", filter.minMemoryMib);
  if (filter.minStorageBytes) add("storage_bytes >= ?", filter.minStorageBytes);
  return { whereSql: where.length ? ` WHERE ${where.join(" AND ")}` : "", params };
}

// Cost is MAAS's cpus + memory in GiB; ties go to the system id so the choice is stable.
const COST_ORDER = "cpus + memory_mib / 1024.0, system_id";

/**
 * Machines matching `filter`, each with its interfaces, in hostname order. Two queries
 * whatever the count: listing stays linear in the inventory's size.
 */
export async function selectMachines(tx: SqlExecutor, filter: MachineFilter = {}, orderBy: "hostname" | "cost" = "hostname", page?: { limit: number; offset: number }): Promise<Machine[]> {
  const { whereSql, params } = machineWhere(filter);
  const order = orderBy === "cost" ? COST_ORDER : "hostname";
  const pageSql = page ? ` LIMIT ${Math.trunc(page.limit)} OFFSET ${Math.trunc(page.offset)}` : "";
  const rows = await tx.all<MachineRow>(`SELECT ${MACHINE_COLUMNS} FROM machines${whereSql} ORDER BY ${order}${pageSql}`, params);
  if (rows.length === 0) return [];
  const nicRows = page
    ? await tx.all<InterfaceRow>(`SELECT mac, machine_id, name, boot FROM interfaces WHERE machine_id IN (${rows.map((_, i) => `$${i + 1}`).join(", ")}) ORDER BY machine_id, position`, rows.map((r) => r.system_id))
    : whereSql
    ? await tx.all<InterfaceRow>(`SELECT mac, machine_id, name, boot FROM interfaces WHERE machine_id IN (SELECT system_id FROM machines${whereSql}) ORDER BY machine_id, position`, params)
    : await tx.all<InterfaceRow>("SELECT mac, machine_id, name, boot FROM interfaces ORDER BY machine_id, position");
  const byMachine = new Map<string, NetworkInterface[]>();
  for (const row of nicRows) {
    let list = byMachine.get(row.machine_id);
    if (!list) byMachine.set(row.machine_id, (list = []));
    list.push(toInterface(row));
  }
  return rows.map((row) => toMachine(row, byMachine.get(row.system_id) ?? [], tx.secrets));
}

/** A machine without its interfaces: what allocation weighs a candidate by. */
export type MachineCandidate = Omit<Machine, "interfaces">;

/**
 * One page of the machines matching `filter`, cheapest first, without their interfaces:
 * allocation weighs a page of candidates and takes one, whose interfaces it then reads
 * (selectMachine). Reading every candidate's interfaces was about a fifth of an allocation
 * at 10,000 machines (tests/bench/inventory.ts).
 */
export async function selectCandidates(tx: SqlExecutor, filter: MachineFilter, page: { limit: number; offset: number }): Promise<MachineCandidate[]> {
  const { whereSql, params } = machineWhere(filter);
  const rows = await tx.all<MachineRow>(`SELECT ${MACHINE_COLUMNS} FROM machines${whereSql} ORDER BY ${COST_ORDER} LIMIT ${Math.trunc(page.limit)} OFFSET ${Math.trunc(page.offset)}`, params);
  return rows.map((row) => {
    const { interfaces: _none, ...candidate } = toMachine(row, [], tx.secrets);
    return candidate;
  });
}

/** Set a machine's status, but only if it is still `from`; returns whether it was. */
export async function updateStatus(tx: SqlExecutor, systemId: string, from: MachineStatus, to: MachineStatus, message: string, at: string): Promise<boolean> {
  const changed = await tx.run("UPDATE machines SET status = $3, status_message = $4, status_changed_at = $5, updated_at = $5 WHERE system_id = $1 AND status = $2", [systemId, from, to, message, at]);
  return changed === 1;
}

/** Append an event to a machine's log. */
export async function insertEvent(tx: SqlExecutor, systemId: string, from: MachineStatus | null, to: MachineStatus, reason: string, at: string): Promise<void> {
  // One statement that numbers the event itself: a RunInstances batch writes three events per machine.
  await tx.run(
    "INSERT INTO machine_events (machine_id, seq, at, from_status, to_status, reason) SELECT $1, COALESCE(MAX(seq), 0) + 1, $2, $3, $4, $5 FROM machine_events WHERE machine_id = $1",
    [systemId, at, from, to, reason],
  );
}

/** A machine's event log, oldest first. */
export async function selectEvents(tx: SqlExecutor, systemId: string): Promise<MachineEvent[]> {
  const rows = await tx.all<{ seq: number; at: string; from_status: string | null; to_status: string; reason: string }>(
    "SELECT seq, at, from_status, to_status, reason FROM machine_events WHERE machine_id = $1 ORDER BY seq",
    [systemId],
  );
  return rows.map((r) => ({ seq: Number(r.seq), at: r.at, from: r.from_status as MachineStatus | null, to: r.to_status as MachineStatus, reason: r.reason }));
}

/** Remove a machine; its interfaces and events go with it. */
export async function deleteMachineRow(tx: SqlExecutor, systemId: string): Promise<void> {
  await tx.run("DELETE FROM interfaces WHERE machine_id = $1", [systemId]);
  await tx.run("DELETE FROM machine_events WHERE machine_id = $1", [systemId]);
  await tx.run("UPDATE instances SET machine_id = NULL WHERE machine_id = $1", [systemId]);
  await tx.run("DELETE FROM machines WHERE system_id = $1", [systemId]);
}
