/**
 * @module ec2/model/resource-ids
 * EC2 resource ids: a prefix and 17 hex digits, random for created resources and derived
 * from a name for the fixed ones (VPC, subnets, images) so they never change across restarts.
 */
import { hash } from "node:crypto";
import { randomPoolBytes } from "../../store/random-pool.ts";

/** A new random id such as `sg-0123456789abcdef0`. */
export function newResourceId(prefix: string): string {
  return `${prefix}-${randomPoolBytes(9).toString("hex").slice(0, 17)}`;
}

/** A stable id for a named fixed resource. */
export function derivedResourceId(prefix: string, name: string): string {
  // The one-shot hash: DescribeInstances derives three ids per instance, and a Hash object each was a tenth of its time.
  return `${prefix}-${hash("sha256", name, "hex").slice(0, 17)}`;
}

/** Whether `id` has the shape `prefix-` and 8 or 17 hex digits, as EC2 ids do. */
export function hasIdShape(id: string, prefix: string): boolean {
  return id.startsWith(`${prefix}-`) && ID_DIGITS.test(id.slice(prefix.length + 1));
}

const ID_DIGITS = /^(?:[0-9a-f]{8}|[0-9a-f]{17})$/;
