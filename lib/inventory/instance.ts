/**
 * @module inventory/instance
 * An instance is one allocation of a machine to an account: it begins when a machine is
 * allocated and ends when the machine is released (or retired, recommissioned or deleted).
 */
import type { SqlExecutor } from "../store/sql-database.ts";
import type { ResolvedConstraints } from "./constraints.ts";

/** One allocation of a machine. */
export interface Instance {
  readonly instanceId: string;
  /** The machine behind it; null once that machine was deleted. */
  readonly systemId: string | null;
  readonly account: string;
  readonly instanceType: string | null;
  readonly constraints: ResolvedConstraints;
  readonly createdAt: string;
  /** When the allocation ended; null while it lasts. */
  readonly endedAt: string | null;
}

interface InstanceRow {
  instance_id: string;
  machine_id: string | null;
  account: string;
  instance_type: string | null;
  constraints: string;
  created_at: string;
  ended_at: string | null;
}

const COLUMNS = "instance_id, machine_id, account, instance_type, constraints, created_at, ended_at";

function toInstance(row: InstanceRow): Instance {
  return {
    instanceId: row.instance_id,
    systemId: row.machine_id,
    account: row.account,
    instanceType: row.instance_type,
    constraints: JSON.parse(row.constraints),
    createdAt: row.created_at,
    endedAt: row.ended_at,
  };
}

/** Record a new instance. */
export async function insertInstance(tx: SqlExecutor, instance: Instance): Promise<void> {
  await tx.run(`INSERT INTO instances (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)`, [
    instance.instanceId,
    instance.systemId,
    instance.account,
    instance.instanceType,
    JSON.stringify(instance.constraints),
    instance.createdAt,
    instance.endedAt,
  ]);
}

/** End the open instance on a machine, if there is one. */
export async function endOpenInstance(tx: SqlExecutor, systemId: string, at: string): Promise<void> {
  await tx.run("UPDATE instances SET ended_at = $2 WHERE machine_id = $1 AND ended_at IS NULL", [systemId, at]);
}

/** The open instance on a machine, if any. */
export async function selectOpenInstance(tx: SqlExecutor, systemId: string): Promise<Instance | undefined> {
  const row = await tx.get<InstanceRow>(`SELECT ${COLUMNS} FROM instances WHERE machine_id = $1 AND ended_at IS NULL`, [systemId]);
  return row && toInstance(row);
}

/** One instance by id. */
export async function selectInstance(tx: SqlExecutor, instanceId: string): Promise<Instance | undefined> {
  const row = await tx.get<InstanceRow>(`SELECT ${COLUMNS} FROM instances WHERE instance_id = $1`, [instanceId]);
  return row && toInstance(row);
}

/** Instances of one account (or all), newest first. */
export async function selectInstances(tx: SqlExecutor, account?: string): Promise<Instance[]> {
  const rows = account === undefined
    ? await tx.all<InstanceRow>(`SELECT ${COLUMNS} FROM instances ORDER BY created_at DESC, instance_id`)
    : await tx.all<InstanceRow>(`SELECT ${COLUMNS} FROM instances WHERE account = $1 ORDER BY created_at DESC, instance_id`, [account]);
  return rows.map(toInstance);
}
