/**
 * @module inventory/instance-type
 * Instance types are named hardware classes: a machine fits a type when it has at least the
 * type's CPUs, memory and disk. The built-in set uses real EC2 names with EC2's figures, so
 * that clients' defaults (m1.small, t2.micro...) mean what their users expect.
 */
import { OrchestraError } from "../errors.ts";
import { checkInteger } from "./machine-input.ts";

/** A named hardware class. */
export interface InstanceType {
  readonly name: string;
  readonly cpus: number;
  readonly memoryMib: number;
  readonly diskGib: number;
  readonly description: string;
  readonly builtin: boolean;
}

const GIB = 1024;

function builtin(name: string, cpus: number, memoryMib: number, description: string): InstanceType {
  return { name, cpus, memoryMib, diskGib: 0, description, builtin: true };
}

/** The built-in instance types (minimums; disk is not constrained, as EBS roots are not on EC2). */
export const BUILTIN_INSTANCE_TYPES: readonly InstanceType[] = [
  builtin("t2.nano", 1, 512, "1 CPU, 0.5 GiB"),
  builtin("t2.micro", 1, 1 * GIB, "1 CPU, 1 GiB"),
  builtin("m1.small", 1, 1740, "1 CPU, 1.7 GiB (EC2's historical default)"),
  builtin("t2.small", 1, 2 * GIB, "1 CPU, 2 GiB"),
  builtin("t3.medium", 2, 4 * GIB, "2 CPUs, 4 GiB"),
  builtin("c5.large", 2, 4 * GIB, "2 CPUs, 4 GiB, compute"),
  builtin("m5.large", 2, 8 * GIB, "2 CPUs, 8 GiB"),
  builtin("r5.large", 2, 16 * GIB, "2 CPUs, 16 GiB, memory"),
  builtin("m5.xlarge", 4, 16 * GIB, "4 CPUs, 16 GiB"),
  builtin("m5.2xlarge", 8, 32 * GIB, "8 CPUs, 32 GiB"),
  builtin("m5.4xlarge", 16, 64 * GIB, "16 CPUs, 64 GiB"),
  builtin("m5.8xlarge", 32, 128 * GIB, "32 CPUs, 128 GiB"),
  builtin("m5.metal", 96, 384 * GIB, "96 CPUs, 384 GiB"),
];

// EC2's shape: a family, a dot, a size (e.g. "bm.large", "storage.4xlarge").
const INSTANCE_TYPE_NAME = /^[a-z][a-z0-9-]{0,31}\.[a-z0-9][a-z0-9-]{0,31}$/;

/** Validate an operator-defined instance type. */
export function validateInstanceType(input: { name: unknown; cpus: unknown; memoryMib: unknown; diskGib?: unknown; description?: unknown }): Omit<InstanceType, "builtin"> {
  if (typeof input.name !== "string" || !INSTANCE_TYPE_NAME.test(input.name)) {
    throw new OrchestraError("INVALID_ARGUMENT", `invalid instance type name ${JSON.stringify(input.name)}: use FAMILY.SIZE in lower case, e.g. bm.large`, { field: "name" });
  }
  const description = input.description ?? "";
  if (typeof description !== "string" || description.length > 256) {
    throw new OrchestraError("INVALID_ARGUMENT", "an instance type's description must be text of at most 256 characters", { field: "description" });
  }
  return {
    name: input.name,
    cpus: checkInteger("cpus", input.cpus, 1, 65_536),
    memoryMib: checkInteger("memory (MiB)", input.memoryMib, 0, 1 << 30),
    diskGib: checkInteger("disk (GiB)", input.diskGib ?? 0, 0, 1 << 30),
    description,
  };
}
