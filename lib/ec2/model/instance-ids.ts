/**
 * @module ec2/model/instance-ids
 * Checking instance ids a caller names: malformed ids and ids the account cannot see are
 * refused before anything changes, naming every offender at once as EC2 does.
 */
import { OrchestraError } from "../../errors.ts";
import type { InstanceRecord } from "./instance-records.ts";

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
