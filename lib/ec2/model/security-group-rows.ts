/**
 * @module ec2/model/security-group-rows
 * Security groups and their rules in the store. Stored and returned faithfully; nothing on
 * bare metal enforces them yet (docs/ec2-api.md says so).
 */
import { OrchestraError } from "../../errors.ts";
import type { SqlExecutor, SqlValue } from "../../store/sql-database.ts";
import { newResourceId } from "./resource-ids.ts";

/** A security group. */
export interface SecurityGroup {
  readonly groupId: string;
  readonly account: string;
  readonly groupName: string;
  readonly description: string;
  readonly vpcId: string;
}

/** One rule: one protocol/port range and one source (a CIDR or a group). */
export interface SecurityGroupRule {
  readonly ruleId: string;
  readonly groupId: string;
  readonly direction: "ingress" | "egress";
  readonly ipProtocol: string;
  /** -1 when the protocol has no ports. */
  readonly fromPort: number;
  readonly toPort: number;
  /** '' when the source is a group. */
  readonly cidr: string;
  /** '' when the source is a CIDR. */
  readonly sourceGroupId: string;
  readonly description: string;
}

interface GroupRow {
  group_id: string;
  account: string;
  group_name: string;
  description: string;
  vpc_id: string;
}

function toGroup(row: GroupRow): SecurityGroup {
  return { groupId: row.group_id, account: row.account, groupName: row.group_name, description: row.description, vpcId: row.vpc_id };
}

/** The account's groups, optionally only some ids or names, in id order. */
export async function selectGroups(db: SqlExecutor, account: string, by: { ids?: readonly string[]; names?: readonly string[] } = {}): Promise<SecurityGroup[]> {
  const params: SqlValue[] = [account];
  let where = "account = $1";
  if (by.ids?.length) where += ` AND group_id IN (${by.ids.map((id) => `$${params.push(id)}`).join(", ")})`;
  if (by.names?.length) where += ` AND group_name IN (${by.names.map((n) => `$${params.push(n)}`).join(", ")})`;
  const rows = await db.all<GroupRow>(`SELECT group_id, account, group_name, description, vpc_id FROM ec2_security_groups WHERE ${where} ORDER BY group_id`, params);
  return rows.map(toGroup);
}

/** Rules of some groups, by group id. */
export async function selectRules(db: SqlExecutor, groupIds: readonly string[]): Promise<Map<string, SecurityGroupRule[]>> {
  const map = new Map<string, SecurityGroupRule[]>();
  if (groupIds.length === 0) return map;
  const params: SqlValue[] = [];
  const rows = await db.all<{ rule_id: string; group_id: string; direction: string; ip_protocol: string; from_port: number; to_port: number; cidr: string; source_group_id: string; description: string }>(
    `SELECT rule_id, group_id, direction, ip_protocol, from_port, to_port, cidr, source_group_id, description FROM ec2_security_group_rules
     WHERE group_id IN (${groupIds.map((id) => `$${params.push(id)}`).join(", ")}) ORDER BY group_id, rule_id`,
    params,
  );
  for (const r of rows) {
    let list = map.get(r.group_id);
    if (!list) map.set(r.group_id, (list = []));
    list.push({
      ruleId: r.rule_id,
      groupId: r.group_id,
      direction: r.direction as "ingress" | "egress",
      ipProtocol: r.ip_protocol,
      fromPort: Number(r.from_port),
      toPort: Number(r.to_port),
      cidr: r.cidr,
      sourceGroupId: r.source_group_id,
      description: r.description,
    });
  }
  return map;
}

/** Create a group; refuses a duplicate name in the same account and VPC. */
export async function insertGroup(tx: SqlExecutor, group: Omit<SecurityGroup, "groupId">, at: string): Promise<SecurityGroup> {
  const taken = await tx.get("SELECT group_id FROM ec2_security_groups WHERE account = $1 AND vpc_id = $2 AND group_name = $3", [group.account, group.vpcId, group.groupName]);
  if (taken) throw new OrchestraError("EC2_GROUP_DUPLICATE", `The security group '${group.groupName}' already exists for VPC '${group.vpcId}'`);
  const created = { ...group, groupId: newResourceId("sg") };
  await tx.run("INSERT INTO ec2_security_groups (group_id, account, group_name, description, vpc_id, created_at) VALUES ($1, $2, $3, $4, $5, $6)", [
    created.groupId,
    created.account,
    created.groupName,
    created.description,
    created.vpcId,
    at,
  ]);
  // A new VPC group may send anything anywhere, as on AWS.
  await insertRule(tx, { groupId: created.groupId, direction: "egress", ipProtocol: "-1", fromPort: -1, toPort: -1, cidr: "0.0.0.0/0", sourceGroupId: "", description: "" });
  return created;
}

/** Insert a rule; refuses one that exists. */
export async function insertRule(tx: SqlExecutor, rule: Omit<SecurityGroupRule, "ruleId">): Promise<void> {
  const exists = await tx.get(
    "SELECT rule_id FROM ec2_security_group_rules WHERE group_id = $1 AND direction = $2 AND ip_protocol = $3 AND from_port = $4 AND to_port = $5 AND cidr = $6 AND source_group_id = $7",
    [rule.groupId, rule.direction, rule.ipProtocol, rule.fromPort, rule.toPort, rule.cidr, rule.sourceGroupId],
  );
  if (exists) {
    const source = rule.cidr || rule.sourceGroupId;
    throw new OrchestraError("EC2_PERMISSION_DUPLICATE", `the specified rule "peer: ${source}, ${rule.ipProtocol.toUpperCase()}, from port: ${rule.fromPort}, to port: ${rule.toPort}, ALLOW" already exists`);
  }
  await tx.run(
    "INSERT INTO ec2_security_group_rules (rule_id, group_id, direction, ip_protocol, from_port, to_port, cidr, source_group_id, description) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    [newResourceId("sgr"), rule.groupId, rule.direction, rule.ipProtocol, rule.fromPort, rule.toPort, rule.cidr, rule.sourceGroupId, rule.description],
  );
}

/** Delete a rule; refuses one that does not exist. */
export async function deleteRule(tx: SqlExecutor, rule: Omit<SecurityGroupRule, "ruleId" | "description">): Promise<void> {
  const removed = await tx.run(
    "DELETE FROM ec2_security_group_rules WHERE group_id = $1 AND direction = $2 AND ip_protocol = $3 AND from_port = $4 AND to_port = $5 AND cidr = $6 AND source_group_id = $7",
    [rule.groupId, rule.direction, rule.ipProtocol, rule.fromPort, rule.toPort, rule.cidr, rule.sourceGroupId],
  );
  if (removed === 0) {
    throw new OrchestraError("EC2_PERMISSION_NOT_FOUND", `The specified rule does not exist in this security group (${rule.ipProtocol} ${rule.fromPort}-${rule.toPort} ${rule.cidr || rule.sourceGroupId}).`);
  }
}

/** The account's `default` group in a VPC, created on first use as AWS has one per VPC. */
export async function ensureDefaultGroup(tx: SqlExecutor, account: string, vpcId: string, at: string): Promise<SecurityGroup> {
  const found = await tx.get<GroupRow>("SELECT group_id, account, group_name, description, vpc_id FROM ec2_security_groups WHERE account = $1 AND vpc_id = $2 AND group_name = 'default'", [account, vpcId]);
  if (found) return toGroup(found);
  const group = await insertGroup(tx, { account, groupName: "default", description: "default VPC security group", vpcId }, at);
  await insertRule(tx, { groupId: group.groupId, direction: "ingress", ipProtocol: "-1", fromPort: -1, toPort: -1, cidr: "", sourceGroupId: group.groupId, description: "" });
  return group;
}

/** Groups by id or name for RunInstances: every one must exist in the account. */
export async function resolveGroups(tx: SqlExecutor, account: string, vpcId: string, ids: readonly string[], names: readonly string[]): Promise<SecurityGroup[]> {
  const byId = ids.length ? await selectGroups(tx, account, { ids }) : [];
  for (const id of ids) if (!byId.some((g) => g.groupId === id)) throw new OrchestraError("EC2_GROUP_NOT_FOUND", `The security group '${id}' does not exist`);
  const byName = names.length ? (await selectGroups(tx, account, { names })).filter((g) => g.vpcId === vpcId) : [];
  for (const name of names) if (!byName.some((g) => g.groupName === name)) throw new OrchestraError("EC2_GROUP_NOT_FOUND", `The security group '${name}' does not exist in default VPC '${vpcId}'`);
  // In the order the caller gave them: an instance lists its groups as it was launched with them.
  const all = [...ids.map((id) => byId.find((g) => g.groupId === id)!), ...names.map((name) => byName.find((g) => g.groupName === name)!)];
  return all.filter((g, i) => all.findIndex((o) => o.groupId === g.groupId) === i);
}
