/**
 * @module ec2/model/instance-ids
 * Checking instance ids a caller names: malformed ids and ids the account cannot see are
 * refused before anything changes, naming every offender at once as EC2 does.
 */
import { OrchestraError } from "../../errors.ts";
import type { SqlExecutor } from "../../store/sql-database.ts";
import type { Ec2Context } from "./ec2-context.ts";
import { loadInstances, type InstanceRecord } from "./instance-records.ts";

/** Throw InvalidInstanceID.Malformed for any id not `i-` + 8 or 17 hex digits. */
export function checkInstanceIdShapes(ids: readonly string[]): void {
  const bad = ids.filter((id) => !/^i-(?:[0-9a-f]{8}|[0-9a-f]{17})$/.test(id));
  if (bad.length) throw new OrchestraError("EC2_INSTANCE_ID_MALFORMED", `Invalid id: "${bad[0]}" (expecting "i-...")`);
}

/** Throw InvalidInstanceID.NotFound unless every id was found. */
export function checkAllFound(ids: readonly string[], found: readonly InstanceRecord[]): void {
  const missing = [...new Set(ids)].filter((id) => !found.some((i) => i.instanceId === id));
  if (missing.length === 1) throw new OrchestraError("INSTANCE_NOT_FOUND", `The instance ID '${missing[0]}' does not exist`);
  if (missing.length > 1) throw new OrchestraError("INSTANCE_NOT_FOUND", `The instance IDs '${missing.join(", ")}' do not exist`);
}

/**
 * The named instances of the caller's account, checked, as they are now (including those
 * terminated over an hour ago, for idempotent calls); another account's id answers
 * InvalidInstanceID.NotFound, as an id that never existed does.
 */
export async function namedInstances(context: Ec2Context, instanceIds: readonly string[], db: SqlExecutor = context.services.db): Promise<InstanceRecord[]> {
  checkInstanceIdShapes(instanceIds);
  const unique = [...new Set(instanceIds)];
  const found = await loadInstances(db, { account: context.account, instanceIds: unique, includeExpired: true, now: context.services.now() });
  checkAllFound(unique, found);
  return unique.map((id) => found.find((i) => i.instanceId === id)!);
}
