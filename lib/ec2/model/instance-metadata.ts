/**
 * @module ec2/model/instance-metadata
 * What the metadata service tells a node about itself, from what RunInstances recorded:
 * the one place that turns an instance into meta-data keys, user data and SSH keys.
 */
import type { SqlExecutor } from "../../store/sql-database.ts";

/** A node's view of its own instance. */
export interface InstanceMetadata {
  readonly instanceId: string;
  readonly amiId: string;
  readonly instanceType: string;
  readonly reservationId: string;
  readonly hostname: string;
  readonly availabilityZone: string;
  readonly securityGroups: readonly string[];
  /** OpenSSH public key lines by key name (the RunInstances KeyName, if any). */
  readonly publicKeys: ReadonlyMap<string, string>;
  /** UserData exactly as given to RunInstances, decoded from base64; null when none. */
  readonly userData: Buffer | null;
}

/** The metadata of the instance open on machine `systemId`, or undefined when it has none. */
export async function metadataForMachine(db: SqlExecutor, systemId: string): Promise<InstanceMetadata | undefined> {
  const row = await db.get<{
    instance_id: string;
    account: string;
    image_id: string;
    instance_type: string;
    reservation_id: string;
    hostname: string;
    zone: string;
    key_name: string | null;
    user_data: string | null;
  }>(
    `SELECT e.instance_id, e.account, e.image_id, e.instance_type, e.reservation_id, m.hostname, e.zone, e.key_name, e.user_data
     FROM instances i JOIN ec2_instances e ON e.instance_id = i.instance_id JOIN machines m ON m.system_id = i.machine_id
     WHERE i.machine_id = $1 AND i.ended_at IS NULL`,
    [systemId],
  );
  if (!row) return undefined;
  const groups = await db.all<{ group_name: string }>(
    "SELECT s.group_name FROM ec2_instance_groups g JOIN ec2_security_groups s ON s.group_id = g.group_id WHERE g.instance_id = $1 ORDER BY g.position",
    [row.instance_id],
  );
  const key = row.key_name === null ? undefined : await db.get<{ public_key: string }>("SELECT public_key FROM ec2_key_pairs WHERE account = $1 AND key_name = $2", [row.account, row.key_name]);
  return {
    instanceId: row.instance_id,
    amiId: row.image_id,
    instanceType: row.instance_type,
    reservationId: row.reservation_id,
    hostname: row.hostname,
    availabilityZone: row.zone,
    securityGroups: groups.map((g) => g.group_name),
    publicKeys: new Map(key && row.key_name ? [[row.key_name, key.public_key]] : []),
    userData: row.user_data === null ? null : Buffer.from(row.user_data, "base64"),
  };
}
