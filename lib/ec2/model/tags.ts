/**
 * @module ec2/model/tags
 * Tags are per account: two accounts may tag the same shared resource (a subnet) apart.
 */
import type { SqlExecutor, SqlValue } from "../../store/sql-database.ts";

/** A key and value. */
export interface Tag {
  readonly key: string;
  readonly value: string;
}

/** Tags of an account's resources whose ids start with `prefix` (or only of `ids`), by resource id. */
export async function tagsByResource(db: SqlExecutor, account: string, prefix: string, ids?: readonly string[]): Promise<Map<string, Map<string, string>>> {
  const params: SqlValue[] = [account, `${prefix}-`, `${prefix}.`];
  const only = ids ? ` AND resource_id IN (${ids.map((id) => `$${params.push(id)}`).join(", ") || "NULL"})` : "";
  const rows = await db.all<{ resource_id: string; key: string; value: string }>(
    `SELECT resource_id, key, value FROM ec2_tags WHERE account = $1 AND resource_id >= $2 AND resource_id < $3${only} ORDER BY resource_id, key`,
    params,
  );
  const map = new Map<string, Map<string, string>>();
  for (const row of rows) {
    let tags = map.get(row.resource_id);
    if (!tags) map.set(row.resource_id, (tags = new Map()));
    tags.set(row.key, row.value);
  }
  return map;
}

/** Set tags on resources (insert or replace). The caller checked the resources exist. */
export async function putTags(tx: SqlExecutor, account: string, resourceIds: readonly string[], tags: readonly Tag[]): Promise<void> {
  for (const resourceId of resourceIds) {
    for (const tag of tags) {
      await tx.run(
        "INSERT INTO ec2_tags (account, resource_id, key, value) VALUES ($1, $2, $3, $4) ON CONFLICT (account, resource_id, key) DO UPDATE SET value = excluded.value",
        [account, resourceId, tag.key, tag.value],
      );
    }
  }
}

/** The XML `tagSet` of a tag map. */
export function tagSet(tags: ReadonlyMap<string, string> | undefined): { key: string; value: string }[] {
  return tags ? [...tags].map(([key, value]) => ({ key, value })) : [];
}

/** Tags from TagSpecification entries of one resource type. */
export function tagsFor(specifications: readonly { ResourceType: string; Tag: readonly { Key: string; Value: string | undefined }[] }[], resourceType: string): Tag[] {
  return specifications.filter((s) => s.ResourceType === resourceType).flatMap((s) => s.Tag.map((t) => ({ key: t.Key, value: t.Value ?? "" })));
}
