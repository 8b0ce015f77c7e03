/**
 * @module ec2/actions/tags
 * CreateTags, DeleteTags and DescribeTags over the account's resources. Every resource is
 * checked to exist in the account before any tag is written.
 */
import { OrchestraError } from "../../errors.ts";
import type { SqlExecutor, SqlValue } from "../../store/sql-database.ts";
import { filterList, list, pagination, str, struct } from "../query/param-shape.ts";
import { compileFilters, type FilterFields } from "../model/filters.ts";
import { findAvailableImage } from "../model/image-source.ts";
import { checkInstanceIdShapes } from "../model/instance-ids.ts";
import { networkView } from "../model/network-topology.ts";
import { paginate } from "../model/pagination.ts";
import { putTags } from "../model/tags.ts";
import { checkTagKeys, MAX_TAGS_PER_RESOURCE } from "../model/tag-specifications.ts";
import type { Ec2Context } from "../model/ec2-context.ts";
import { defineAction } from "./define-action.ts";

/** EC2's resource type names, by id prefix. */
const RESOURCE_TYPES: Record<string, string> = {
  i: "instance",
  sg: "security-group",
  key: "key-pair",
  vpc: "vpc",
  subnet: "subnet",
  igw: "internet-gateway",
  rtb: "route-table",
  ami: "image",
  vol: "volume",
};

function prefixOf(resourceId: string): string {
  return resourceId.slice(0, Math.max(0, resourceId.indexOf("-")));
}

/** Throw unless every resource exists and the account may tag it. */
async function checkResources(tx: SqlExecutor, context: Ec2Context, resourceIds: readonly string[]): Promise<void> {
  const network = await networkView(tx, context.services.topology);
  for (const id of resourceIds) {
    const prefix = prefixOf(id);
    if (!RESOURCE_TYPES[prefix] || !/^[a-z]+-[0-9a-f]{8,17}$/.test(id)) throw new OrchestraError("EC2_RESOURCE_ID_INVALID", `The ID '${id}' is not valid`);
    let found = false;
    if (prefix === "i") {
      checkInstanceIdShapes([id]);
      found = !!(await tx.get("SELECT instance_id FROM ec2_instances WHERE account = $1 AND instance_id = $2", [context.account, id]));
      if (!found) throw new OrchestraError("INSTANCE_NOT_FOUND", `The instance ID '${id}' does not exist`);
    } else if (prefix === "sg") {
      found = !!(await tx.get("SELECT group_id FROM ec2_security_groups WHERE account = $1 AND group_id = $2", [context.account, id]));
      if (!found) throw new OrchestraError("EC2_GROUP_NOT_FOUND", `The security group '${id}' does not exist`);
    } else if (prefix === "key") {
      found = !!(await tx.get("SELECT key_pair_id FROM ec2_key_pairs WHERE account = $1 AND key_pair_id = $2", [context.account, id]));
      if (!found) throw new OrchestraError("EC2_KEY_PAIR_NOT_FOUND", `The key pair '${id}' does not exist`);
    } else if (prefix === "ami") {
      if (!(await findAvailableImage(context.services.images, id))) throw new OrchestraError("EC2_IMAGE_NOT_FOUND", `The image id '[${id}]' does not exist`);
    } else if (prefix === "vol") {
      throw new OrchestraError("EC2_UNSUPPORTED_OPERATION", "Volumes are a machine's own disks and cannot be tagged.");
    } else {
      const ids = [network.vpc.vpcId, network.internetGatewayId, network.routeTableId, ...network.subnets.map((s) => s.subnetId)];
      if (!ids.includes(id)) {
        if (prefix === "vpc") throw new OrchestraError("EC2_VPC_NOT_FOUND", `The vpc ID '${id}' does not exist`);
        if (prefix === "subnet") throw new OrchestraError("EC2_SUBNET_NOT_FOUND", `The subnet ID '${id}' does not exist`);
        throw new OrchestraError("EC2_RESOURCE_ID_INVALID", `The ID '${id}' does not exist`);
      }
    }
  }
}

export const createTags = defineAction(
  "CreateTags",
  {
    ResourceId: list(str({ max: 64 }), { required: true, max: 1000 }),
    Tag: list(struct({ Key: str({ required: true, min: 1, max: 128 }), Value: str({ max: 256 }) }), { required: true, max: MAX_TAGS_PER_RESOURCE }),
  },
  async (context, p) => {
    checkTagKeys(p.Tag);
    await context.services.db.transaction(async (tx) => {
      await checkResources(tx, context, p.ResourceId);
      await putTags(tx, context.account, p.ResourceId, p.Tag.map((t) => ({ key: t.Key, value: t.Value ?? "" })));
      for (const id of p.ResourceId) {
        const count = await tx.get<{ n: number }>("SELECT COUNT(*) AS n FROM ec2_tags WHERE account = $1 AND resource_id = $2", [context.account, id]);
        if (Number(count?.n) > MAX_TAGS_PER_RESOURCE) throw new OrchestraError("INVALID_ARGUMENT", `Resource ${id} would have more than ${MAX_TAGS_PER_RESOURCE} tags (TagLimitExceeded).`);
      }
    });
    return { return: true };
  },
);

export const deleteTags = defineAction(
  "DeleteTags",
  {
    ResourceId: list(str({ max: 64 }), { required: true, max: 1000 }),
    Tag: list(struct({ Key: str({ required: true, min: 1, max: 128 }), Value: str({ max: 256 }) }), { max: MAX_TAGS_PER_RESOURCE }),
  },
  async (context, p) => {
    checkTagKeys(p.Tag);
    await context.services.db.transaction(async (tx) => {
      await checkResources(tx, context, p.ResourceId);
      for (const id of p.ResourceId) {
        if (p.Tag.length === 0) {
          await tx.run("DELETE FROM ec2_tags WHERE account = $1 AND resource_id = $2", [context.account, id]);
          continue;
        }
        for (const tag of p.Tag) {
          // With a value, only a tag holding exactly that value goes (an empty value included).
          const params: SqlValue[] = [context.account, id, tag.Key];
          const valueClause = tag.Value === undefined ? "" : ` AND value = $${params.push(tag.Value)}`;
          await tx.run(`DELETE FROM ec2_tags WHERE account = $1 AND resource_id = $2 AND key = $3${valueClause}`, params);
        }
      }
    });
    return { return: true };
  },
);

interface TagRow {
  resource_id: string;
  key: string;
  value: string;
}

const TAG_FILTERS: FilterFields<TagRow> = {
  key: (t) => t.key,
  value: (t) => t.value,
  "resource-id": (t) => t.resource_id,
  "resource-type": (t) => RESOURCE_TYPES[prefixOf(t.resource_id)],
};

export const describeTags = defineAction("DescribeTags", { Filter: filterList, ...pagination }, async (context, p) => {
  const rows = await context.services.db.all<TagRow>("SELECT resource_id, key, value FROM ec2_tags WHERE account = $1 ORDER BY resource_id, key", [context.account]);
  const keep = compileFilters(p.Filter, TAG_FILTERS);
  const page = paginate(rows.filter(keep), (t) => `${t.resource_id}\u0000${t.key}`, "DescribeTags", p.MaxResults, p.NextToken);
  return {
    tagSet: page.items.map((t) => ({ resourceId: t.resource_id, resourceType: RESOURCE_TYPES[prefixOf(t.resource_id)], key: t.key, value: t.value })),
    nextToken: page.nextToken,
  };
});
