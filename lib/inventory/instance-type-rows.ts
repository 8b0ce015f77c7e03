/**
 * @module inventory/instance-type-rows
 * The SQL behind operator-defined instance types.
 */
import type { SqlExecutor } from "../store/sql-database.ts";
import type { InstanceType } from "./instance-type.ts";

interface Row {
  name: string;
  cpus: number;
  memory_mib: number;
  disk_gib: number;
  description: string;
}

function toType(row: Row): InstanceType {
  return { name: row.name, cpus: Number(row.cpus), memoryMib: Number(row.memory_mib), diskGib: Number(row.disk_gib), description: row.description, builtin: false };
}

/** Every operator-defined instance type. */
export async function selectInstanceTypes(tx: SqlExecutor): Promise<InstanceType[]> {
  return (await tx.all<Row>("SELECT name, cpus, memory_mib, disk_gib, description FROM instance_types ORDER BY name")).map(toType);
}

/** One operator-defined instance type. */
export async function selectInstanceType(tx: SqlExecutor, name: string): Promise<InstanceType | undefined> {
  const row = await tx.get<Row>("SELECT name, cpus, memory_mib, disk_gib, description FROM instance_types WHERE name = $1", [name]);
  return row && toType(row);
}

/** Store an operator-defined instance type. */
export async function insertInstanceType(tx: SqlExecutor, type: Omit<InstanceType, "builtin">, at: string): Promise<void> {
  await tx.run("INSERT INTO instance_types (name, cpus, memory_mib, disk_gib, description, created_at) VALUES ($1, $2, $3, $4, $5, $6)", [type.name, type.cpus, type.memoryMib, type.diskGib, type.description, at]);
}

/** Remove an operator-defined instance type; returns whether it existed. */
export async function deleteInstanceTypeRow(tx: SqlExecutor, name: string): Promise<boolean> {
  return (await tx.run("DELETE FROM instance_types WHERE name = $1", [name])) === 1;
}
