/**
 * @module ec2/actions/security-groups
 * CreateSecurityGroup, DeleteSecurityGroup, DescribeSecurityGroups and
 * Authorize/RevokeSecurityGroupIngress. Groups and rules are stored and returned faithfully;
 * Orchestra does not enforce them on the machines (docs/ec2-api.md).
 */
import { OrchestraError } from "../../errors.ts";
import type { SqlExecutor } from "../../store/sql-database.ts";
import { filterList, int, list, pagination, str, struct, tagSpecificationList } from "../query/param-shape.ts";
import { compileFilters, type FilterFields } from "../model/filters.ts";
import { networkView } from "../model/network-topology.ts";
import { paginate } from "../model/pagination.ts";
import {
  deleteRule,
  ensureDefaultGroup,
  insertGroup,
  insertRule,
  selectGroups,
  selectRules,
  type SecurityGroup,
  type SecurityGroupRule,
} from "../model/security-group-rows.ts";
import { putTags, tagSet, tagsByResource, tagsFor } from "../model/tags.ts";
import { checkTagSpecifications } from "../model/tag-specifications.ts";
import type { Ec2Context } from "../model/ec2-context.ts";
import { defineAction } from "./define-action.ts";

const GROUP_NAME = str({ required: true, min: 1, max: 255 });

export const createSecurityGroup = defineAction(
  "CreateSecurityGroup",
  { GroupName: GROUP_NAME, GroupDescription: str({ required: true, max: 255 }), VpcId: str({ max: 64 }), TagSpecification: tagSpecificationList },
  async (context, p) => {
    if (p.GroupName === "default") throw new OrchestraError("INVALID_ARGUMENT", "The security group name 'default' is reserved.");
    if (p.GroupName.startsWith("sg-")) throw new OrchestraError("INVALID_ARGUMENT", "Group names may not be in the format sg-*.");
    checkTagSpecifications(p.TagSpecification, ["security-group"]);
    const { services, account } = context;
    const group = await services.db.transaction(async (tx) => {
      const network = await networkView(tx, services.topology);
      const vpcId = p.VpcId ?? network.vpc.vpcId;
      if (vpcId !== network.vpc.vpcId) throw new OrchestraError("EC2_VPC_NOT_FOUND", `The vpc ID '${vpcId}' does not exist`);
      await ensureDefaultGroup(tx, account, vpcId, services.now().toISOString());
      const created = await insertGroup(tx, { account, groupName: p.GroupName, description: p.GroupDescription, vpcId }, services.now().toISOString());
      await putTags(tx, account, [created.groupId], tagsFor(p.TagSpecification, "security-group"));
      return created;
    });
    const tags = await tagsByResource(services.db, account, "sg");
    return { return: true, groupId: group.groupId, tagSet: tagSet(tags.get(group.groupId)) };
  },
);

/** The one group a GroupId or GroupName names, in the account. */
async function oneGroup(tx: SqlExecutor, context: Ec2Context, groupId: string | undefined, groupName: string | undefined): Promise<SecurityGroup> {
  if ((groupId === undefined) === (groupName === undefined)) throw new OrchestraError("MISSING_ARGUMENT", "Either GroupId or GroupName must be given, and not both.");
  const network = await networkView(tx, context.services.topology);
  await ensureDefaultGroup(tx, context.account, network.vpc.vpcId, context.services.now().toISOString());
  const found = groupId !== undefined ? await selectGroups(tx, context.account, { ids: [groupId] }) : await selectGroups(tx, context.account, { names: [groupName!] });
  if (found.length === 0) {
    if (groupId !== undefined && !/^sg-[0-9a-f]{8,17}$/.test(groupId)) throw new OrchestraError("EC2_GROUP_ID_MALFORMED", `Invalid id: "${groupId}" (expecting "sg-...")`);
    throw new OrchestraError("EC2_GROUP_NOT_FOUND", `The security group '${groupId ?? groupName}' does not exist`);
  }
  return found[0]!;
}

export const deleteSecurityGroup = defineAction("DeleteSecurityGroup", { GroupId: str({ max: 64 }), GroupName: str({ max: 255 }) }, async (context, p) => {
  await context.services.db.transaction(async (tx) => {
    const group = await oneGroup(tx, context, p.GroupId, p.GroupName);
    if (group.groupName === "default") throw new OrchestraError("INVALID_ARGUMENT", `The default security group ${group.groupId} cannot be deleted (CannotDelete).`);
    const user = await tx.get<{ instance_id: string }>(
      `SELECT g.instance_id FROM ec2_instance_groups g JOIN instances i ON i.instance_id = g.instance_id WHERE g.group_id = $1 AND i.ended_at IS NULL LIMIT 1`,
      [group.groupId],
    );
    if (user) throw new OrchestraError("EC2_GROUP_IN_USE", `resource ${group.groupId} has a dependent object (instance ${user.instance_id})`);
    const referrer = await tx.get<{ group_id: string }>("SELECT group_id FROM ec2_security_group_rules WHERE source_group_id = $1 AND group_id <> $1 LIMIT 1", [group.groupId]);
    if (referrer) throw new OrchestraError("EC2_GROUP_IN_USE", `resource ${group.groupId} has a dependent object (a rule of ${referrer.group_id})`);
    await tx.run("DELETE FROM ec2_security_group_rules WHERE group_id = $1", [group.groupId]);
    await tx.run("DELETE FROM ec2_tags WHERE account = $1 AND resource_id = $2", [context.account, group.groupId]);
    await tx.run("DELETE FROM ec2_security_groups WHERE group_id = $1", [group.groupId]);
  });
  return { return: true };
});

const GROUP_FILTERS: FilterFields<SecurityGroup> = {
  "group-id": (g) => g.groupId,
  "group-name": (g) => g.groupName,
  description: (g) => g.description,
  "vpc-id": (g) => g.vpcId,
};

export const describeSecurityGroups = defineAction(
  "DescribeSecurityGroups",
  { GroupId: list(str({ max: 64 }), { max: 1000 }), GroupName: list(str({ max: 255 }), { max: 1000 }), Filter: filterList, ...pagination },
  async (context, p) => {
    const { services, account } = context;
    const network = await networkView(services.db, services.topology);
    await services.db.transaction((tx) => ensureDefaultGroup(tx, account, network.vpc.vpcId, services.now().toISOString()));
    const all = await selectGroups(services.db, account);
    for (const id of p.GroupId) if (!all.some((g) => g.groupId === id)) throw new OrchestraError("EC2_GROUP_NOT_FOUND", `The security group '${id}' does not exist`);
    for (const name of p.GroupName) if (!all.some((g) => g.groupName === name)) throw new OrchestraError("EC2_GROUP_NOT_FOUND", `The security group '${name}' does not exist in default VPC '${network.vpc.vpcId}'`);
    const tags = await tagsByResource(services.db, account, "sg");
    const ownerId = context.ownerId;
    const keep = compileFilters(p.Filter, { ...GROUP_FILTERS, "owner-id": () => ownerId }, (g: SecurityGroup) => tags.get(g.groupId) ?? new Map());
    const chosen = all.filter((g) => (p.GroupId.length === 0 || p.GroupId.includes(g.groupId)) && (p.GroupName.length === 0 || p.GroupName.includes(g.groupName)) && keep(g));
    const page = paginate(chosen, (g) => g.groupId, "DescribeSecurityGroups", p.MaxResults, p.NextToken);
    const rules = await selectRules(services.db, page.items.map((g) => g.groupId));
    const names = new Map(all.map((g) => [g.groupId, g.groupName]));
    return {
      securityGroupInfo: page.items.map((g) => ({
        ownerId,
        groupId: g.groupId,
        groupName: g.groupName,
        groupDescription: g.description,
        vpcId: g.vpcId,
        ipPermissions: permissionsXml((rules.get(g.groupId) ?? []).filter((r) => r.direction === "ingress"), ownerId, names),
        ipPermissionsEgress: permissionsXml((rules.get(g.groupId) ?? []).filter((r) => r.direction === "egress"), ownerId, names),
        tagSet: tagSet(tags.get(g.groupId)),
      })),
      nextToken: page.nextToken,
    };
  },
);

/** Rules grouped by protocol and ports, as `ipPermissions` items. */
function permissionsXml(rules: readonly SecurityGroupRule[], ownerId: string, names: ReadonlyMap<string, string>) {
  const byKey = new Map<string, SecurityGroupRule[]>();
  for (const rule of rules) {
    const key = `${rule.ipProtocol}/${rule.fromPort}/${rule.toPort}`;
    let list = byKey.get(key);
    if (!list) byKey.set(key, (list = []));
    list.push(rule);
  }
  return [...byKey.values()].map((same) => {
    const first = same[0]!;
    const ports = first.ipProtocol === "-1" ? {} : { fromPort: first.fromPort, toPort: first.toPort };
    return {
      ipProtocol: first.ipProtocol,
      ...ports,
      groups: same.filter((r) => r.sourceGroupId).map((r) => ({ userId: ownerId, groupId: r.sourceGroupId, groupName: names.get(r.sourceGroupId), description: r.description || undefined })),
      ipRanges: same.filter((r) => r.cidr && !r.cidr.includes(":")).map((r) => ({ cidrIp: r.cidr, description: r.description || undefined })),
      ipv6Ranges: same.filter((r) => r.cidr.includes(":")).map((r) => ({ cidrIpv6: r.cidr, description: r.description || undefined })),
      prefixListIds: [],
    };
  });
}

const PERMISSION = struct({
  IpProtocol: str({ required: true, max: 16 }),
  FromPort: int({ min: -1, max: 65535 }),
  ToPort: int({ min: -1, max: 65535 }),
  IpRanges: list(struct({ CidrIp: str({ required: true, max: 64 }), Description: str({ max: 255 }) }), { max: 100 }),
  Ipv6Ranges: list(struct({ CidrIpv6: str({ required: true, max: 64 }), Description: str({ max: 255 }) }), { max: 100 }),
  Groups: list(struct({ GroupId: str({ max: 64 }), GroupName: str({ max: 255 }), UserId: str({ max: 64 }), Description: str({ max: 255 }) }), { max: 100 }),
});

const RULE_PARAMS = {
  GroupId: str({ max: 64 }),
  GroupName: str({ max: 255 }),
  IpPermissions: list(PERMISSION, { max: 100 }),
  // The flat form the EC2 API kept from EC2-Classic days.
  IpProtocol: str({ max: 16 }),
  FromPort: int({ min: -1, max: 65535 }),
  ToPort: int({ min: -1, max: 65535 }),
  CidrIp: str({ max: 64 }),
  SourceSecurityGroupName: str({ max: 255 }),
  SourceSecurityGroupOwnerId: str({ max: 64 }),
};

type RuleParams = {
  GroupId?: string | undefined;
  GroupName?: string | undefined;
  IpPermissions: {
    IpProtocol: string;
    FromPort?: number | undefined;
    ToPort?: number | undefined;
    IpRanges: { CidrIp: string; Description?: string | undefined }[];
    Ipv6Ranges: { CidrIpv6: string; Description?: string | undefined }[];
    Groups: { GroupId?: string | undefined; GroupName?: string | undefined; UserId?: string | undefined; Description?: string | undefined }[];
  }[];
  IpProtocol?: string | undefined;
  FromPort?: number | undefined;
  ToPort?: number | undefined;
  CidrIp?: string | undefined;
  SourceSecurityGroupName?: string | undefined;
  SourceSecurityGroupOwnerId?: string | undefined;
};

/** Expand the request into single rules (one source each), resolving source groups. */
async function rulesOf(tx: SqlExecutor, context: Ec2Context, group: SecurityGroup, p: RuleParams): Promise<Omit<SecurityGroupRule, "ruleId">[]> {
  const flat = p.IpProtocol !== undefined || p.CidrIp !== undefined || p.SourceSecurityGroupName !== undefined || p.FromPort !== undefined || p.ToPort !== undefined;
  if (flat && p.IpPermissions.length) throw new OrchestraError("EC2_INVALID_PARAMETER_COMBINATION", "The parameter IpPermissions cannot be used with IpProtocol, FromPort, ToPort, CidrIp or SourceSecurityGroupName.");
  const permissions: RuleParams["IpPermissions"] = flat
    ? [
        {
          IpProtocol: p.IpProtocol ?? "-1",
          FromPort: p.FromPort,
          ToPort: p.ToPort,
          IpRanges: p.CidrIp ? [{ CidrIp: p.CidrIp }] : [],
          Ipv6Ranges: [],
          Groups: p.SourceSecurityGroupName ? [{ GroupName: p.SourceSecurityGroupName, UserId: p.SourceSecurityGroupOwnerId }] : [],
        },
      ]
    : p.IpPermissions;
  if (permissions.length === 0) throw new OrchestraError("MISSING_ARGUMENT", "The request must contain the parameter IpPermissions.");
  const rules: Omit<SecurityGroupRule, "ruleId">[] = [];
  for (const permission of permissions) {
    const protocol = normaliseProtocol(permission.IpProtocol);
    const [fromPort, toPort] = ports(protocol, permission.FromPort, permission.ToPort);
    const base = { groupId: group.groupId, direction: "ingress" as const, ipProtocol: protocol, fromPort, toPort };
    const sources = permission.IpRanges.length + permission.Ipv6Ranges.length + permission.Groups.length;
    if (sources === 0) throw new OrchestraError("MISSING_ARGUMENT", "A permission must name at least one source: IpRanges, Ipv6Ranges or Groups.");
    for (const range of permission.IpRanges) rules.push({ ...base, cidr: checkCidr(range.CidrIp, false), sourceGroupId: "", description: range.Description ?? "" });
    for (const range of permission.Ipv6Ranges) rules.push({ ...base, cidr: checkCidr(range.CidrIpv6, true), sourceGroupId: "", description: range.Description ?? "" });
    for (const source of permission.Groups) {
      if (source.UserId !== undefined && source.UserId !== context.ownerId) {
        throw new OrchestraError("EC2_GROUP_NOT_FOUND", `The security group of account ${source.UserId} is not visible to this account.`);
      }
      const found = source.GroupId !== undefined ? await selectGroups(tx, context.account, { ids: [source.GroupId] }) : source.GroupName !== undefined ? await selectGroups(tx, context.account, { names: [source.GroupName] }) : [];
      if (found.length === 0) throw new OrchestraError("EC2_GROUP_NOT_FOUND", `The security group '${source.GroupId ?? source.GroupName ?? "(none named)"}' does not exist`);
      rules.push({ ...base, cidr: "", sourceGroupId: found[0]!.groupId, description: source.Description ?? "" });
    }
  }
  return rules;
}

function normaliseProtocol(protocol: string): string {
  const lower = protocol.toLowerCase();
  const numbers: Record<string, string> = { "6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6", all: "-1" };
  const name = numbers[lower] ?? lower;
  if (!["tcp", "udp", "icmp", "icmpv6", "-1"].includes(name)) throw new OrchestraError("INVALID_ARGUMENT", `Invalid value '${protocol}' for IP protocol. Unknown protocol.`);
  return name;
}

function ports(protocol: string, from: number | undefined, to: number | undefined): [number, number] {
  if (protocol === "-1") return [-1, -1];
  if (protocol === "icmp" || protocol === "icmpv6") return [from ?? -1, to ?? -1];
  if (from === undefined || to === undefined || from < 0 || to < 0) throw new OrchestraError("INVALID_ARGUMENT", `Invalid ports for ${protocol}: FromPort and ToPort from 0 to 65535 are required.`);
  if (from > to) throw new OrchestraError("INVALID_ARGUMENT", `Invalid ports: FromPort (${from}) is greater than ToPort (${to}).`);
  return [from, to];
}

function checkCidr(cidr: string, v6: boolean): string {
  const ok = v6 ? /^[0-9a-f:]+\/\d{1,3}$/i.test(cidr) && Number(cidr.split("/")[1]) <= 128 : /^(\d{1,3})(\.\d{1,3}){3}\/\d{1,2}$/.test(cidr) && cidr.split(/[./]/).slice(0, 4).every((o) => Number(o) <= 255) && Number(cidr.split("/")[1]) <= 32;
  if (!ok) throw new OrchestraError("INVALID_ARGUMENT", `CIDR block ${cidr} is malformed`);
  return cidr.toLowerCase();
}

export const authorizeSecurityGroupIngress = defineAction("AuthorizeSecurityGroupIngress", { ...RULE_PARAMS, TagSpecification: tagSpecificationList }, async (context, p) => {
  checkTagSpecifications(p.TagSpecification, ["security-group-rule"]);
  await context.services.db.transaction(async (tx) => {
    const group = await oneGroup(tx, context, p.GroupId, p.GroupName);
    for (const rule of await rulesOf(tx, context, group, p)) await insertRule(tx, rule);
  });
  return { return: true };
});

export const revokeSecurityGroupIngress = defineAction("RevokeSecurityGroupIngress", RULE_PARAMS, async (context, p) => {
  await context.services.db.transaction(async (tx) => {
    const group = await oneGroup(tx, context, p.GroupId, p.GroupName);
    for (const rule of await rulesOf(tx, context, group, p)) await deleteRule(tx, rule);
  });
  return { return: true };
});
