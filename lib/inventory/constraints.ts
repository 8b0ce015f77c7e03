/**
 * @module inventory/constraints
 * What a caller asks of a machine. Constraints combine: an instance type's minimums and
 * explicit minimums both apply, and the larger wins.
 */
import { OrchestraError } from "../errors.ts";
import { checkArchitecture, checkInteger, checkName } from "./machine-input.ts";
import type { InstanceType } from "./instance-type.ts";
import { storageBytes, type Machine } from "./machine.ts";

/** A request for a machine. */
export interface AllocationConstraints {
  instanceType?: string;
  architecture?: string;
  zone?: string;
  /** Every tag listed must be on the machine. */
  tags?: readonly string[];
  minCpus?: number;
  minMemoryMib?: number;
  minDiskGib?: number;
  /** Only these machines may be chosen (e.g. `machines allocate --system-id`). */
  systemIds?: readonly string[];
}

/** Constraints with the instance type folded in: what a machine is checked against. */
export interface ResolvedConstraints {
  instanceType: string | null;
  architecture: string | null;
  zone: string | null;
  tags: string[];
  minCpus: number;
  minMemoryMib: number;
  minStorageBytes: number;
  systemIds: string[] | null;
}

const GIB_BYTES = 1024 ** 3;

/** Validate constraints and fold in the instance type's minimums. */
export function resolveConstraints(constraints: AllocationConstraints, instanceType: InstanceType | undefined): ResolvedConstraints {
  if (typeof constraints !== "object" || constraints === null) throw new OrchestraError("INVALID_ARGUMENT", "constraints must be an object");
  const minCpus = checkInteger("minimum cpus", constraints.minCpus ?? 0, 0, 65_536);
  const minMemoryMib = checkInteger("minimum memory (MiB)", constraints.minMemoryMib ?? 0, 0, 1 << 30);
  const minDiskGib = checkInteger("minimum disk (GiB)", constraints.minDiskGib ?? 0, 0, 1 << 30);
  const tags = constraints.tags ?? [];
  if (!Array.isArray(tags)) throw new OrchestraError("INVALID_ARGUMENT", "tags must be a list");
  return {
    instanceType: instanceType?.name ?? null,
    architecture: constraints.architecture === undefined ? null : checkArchitecture(constraints.architecture),
    zone: constraints.zone === undefined ? null : checkName("zone", constraints.zone),
    tags: tags.map((tag) => checkName("tag", tag)),
    minCpus: Math.max(minCpus, instanceType?.cpus ?? 0),
    minMemoryMib: Math.max(minMemoryMib, instanceType?.memoryMib ?? 0),
    minStorageBytes: Math.max(minDiskGib, instanceType?.diskGib ?? 0) * GIB_BYTES,
    systemIds: constraints.systemIds === undefined ? null : [...constraints.systemIds],
  };
}

/** Whether `machine` satisfies `constraints` (its status is the caller's business). */
export function machineFits(machine: Omit<Machine, "interfaces">, constraints: ResolvedConstraints): boolean {
  return (
    machine.cpus >= constraints.minCpus &&
    machine.memoryMib >= constraints.minMemoryMib &&
    storageBytes(machine.disks) >= constraints.minStorageBytes &&
    (constraints.architecture === null || machine.architecture === constraints.architecture) &&
    (constraints.zone === null || machine.zone === constraints.zone) &&
    (constraints.systemIds === null || constraints.systemIds.includes(machine.systemId)) &&
    constraints.tags.every((tag) => machine.tags.includes(tag))
  );
}

/** A human description of constraints, for "no capacity" answers. */
export function describeConstraints(c: ResolvedConstraints): string {
  const parts: string[] = [];
  if (c.instanceType) parts.push(`instance type ${c.instanceType}`);
  if (c.architecture) parts.push(`arch ${c.architecture}`);
  if (c.zone) parts.push(`zone ${c.zone}`);
  if (c.tags.length) parts.push(`tags ${c.tags.join(",")}`);
  if (c.minCpus) parts.push(`>= ${c.minCpus} cpus`);
  if (c.minMemoryMib) parts.push(`>= ${c.minMemoryMib} MiB memory`);
  if (c.minStorageBytes) parts.push(`>= ${c.minStorageBytes / GIB_BYTES} GiB disk`);
  if (c.systemIds) parts.push(`one of ${c.systemIds.join(",")}`);
  return parts.length ? parts.join(", ") : "no constraints";
}
