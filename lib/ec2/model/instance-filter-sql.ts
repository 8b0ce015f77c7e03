/**
 * @module ec2/model/instance-filter-sql
 * DescribeInstances filters as SQL, so the database's indexes pick the rows instead of
 * JavaScript reading every instance of the account. The SQL only narrows: it keeps every
 * row the filter keeps and perhaps a few more (SQLite's LIKE ignores ASCII case; a state
 * depends on power details decided in code), and compileFilters (./filters.ts) still runs
 * over what comes back, so the answer is exactly the filter's. A filter with no SQL form
 * here is left to compileFilters alone.
 */
import type { SqlValue } from "../../store/sql-database.ts";
import type { Filter } from "./filters.ts";
import { INSTANCE_STATES, type InstanceStateName } from "./instance-state.ts";
import { wildcardMatcher, wildcardSql } from "./wildcard.ts";

/** Filters whose field is a column of ec2_instances (aliased `e`). */
const COLUMN_FILTERS: Readonly<Record<string, string>> = {
  "instance-id": "e.instance_id",
  "instance-type": "e.instance_type",
  "availability-zone": "e.zone",
  "placement.availability-zone": "e.zone",
  "image-id": "e.image_id",
  "reservation-id": "e.reservation_id",
  "subnet-id": "e.subnet_id",
  "network-interface.subnet-id": "e.subnet_id",
  "vpc-id": "e.vpc_id",
  "network-interface.vpc-id": "e.vpc_id",
  "key-name": "e.key_name",
  "client-token": "e.client_token",
};

const RELEASING = "'releasing', 'disk_erasing', 'failed_releasing', 'failed_disk_erasing'";
const LIVE = "i.ended_at IS NULL AND m.status IS NOT NULL";

/**
 * The rows each EC2 state can come from (instance-records.ts's mapState, read backwards):
 * wider where power details decide (running, stopped, stopping and pending share `deployed`).
 */
const STATE_SQL: Readonly<Record<InstanceStateName, string>> = {
  terminated: "(i.ended_at IS NOT NULL OR m.status IS NULL)",
  pending: `(${LIVE} AND m.status IN ('allocated', 'deploying', 'deployed'))`,
  running: `(${LIVE} AND m.status = 'deployed')`,
  stopping: `(${LIVE} AND m.status = 'deployed')`,
  stopped: `(${LIVE} AND m.status NOT IN ('allocated', 'deploying', ${RELEASING}))`,
  "shutting-down": `(${LIVE} AND m.status IN (${RELEASING}))`,
};

/** One value test on `column` for a filter's values (ORed): IN for exact values, LIKE for patterns. */
function valuesSql(column: string, values: readonly string[], params: SqlValue[]): string {
  const exact: string[] = [];
  const alternatives: string[] = [];
  for (const value of values) {
    const sql = wildcardSql(value);
    if ("exact" in sql) exact.push(`$${params.push(sql.exact)}`);
    else alternatives.push(`${column} LIKE $${params.push(sql.like)} ESCAPE '\\'`);
  }
  if (exact.length) alternatives.unshift(`${column} IN (${exact.join(", ")})`);
  return alternatives.length === 1 ? alternatives[0]! : `(${alternatives.join(" OR ")})`;
}

/** The instance ids of the account whose tags pass `test` (a condition on t.key / t.value). */
function taggedSql(account: number, test: string): string {
  return `e.instance_id IN (SELECT t.resource_id FROM ec2_tags t WHERE t.account = $${account} AND ${test})`;
}

/**
 * Narrowing SQL for `filters` over `e` (ec2_instances), `i` (instances) and `m` (machines).
 * `accountParam` is the number of the parameter holding the account. Filters with no
 * values or unknown names add nothing here: compileFilters refuses them.
 */
export function instanceFilterSql(filters: readonly Filter[], accountParam: number, params: SqlValue[]): string[] {
  const conditions: string[] = [];
  for (const filter of filters) {
    if (filter.Value.length === 0) continue;
    const column = Object.hasOwn(COLUMN_FILTERS, filter.Name) ? COLUMN_FILTERS[filter.Name] : undefined;
    if (column) conditions.push(valuesSql(column, filter.Value, params));
    else if (filter.Name.startsWith("tag:")) {
      conditions.push(taggedSql(accountParam, `t.key = $${params.push(filter.Name.slice(4))} AND ${valuesSql("t.value", filter.Value, params)}`));
    } else if (filter.Name === "tag-key") conditions.push(taggedSql(accountParam, valuesSql("t.key", filter.Value, params)));
    else if (filter.Name === "tag-value") conditions.push(taggedSql(accountParam, valuesSql("t.value", filter.Value, params)));
    else if (filter.Name === "instance-state-name" || filter.Name === "instance-state-code") {
      // A pattern is matched against the six names (or codes) here; the rows follow from those.
      const matchers = filter.Value.map(wildcardMatcher);
      const states = (Object.keys(INSTANCE_STATES) as InstanceStateName[]).filter((state) => {
        const shown = filter.Name === "instance-state-name" ? state : String(INSTANCE_STATES[state]);
        return matchers.some((m) => m(shown));
      });
      conditions.push(states.length ? `(${states.map((s) => STATE_SQL[s]).join(" OR ")})` : "1 = 0");
    }
  }
  return conditions;
}
