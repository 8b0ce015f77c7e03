/**
 * @module inventory/machine-listing
 * The machine listing (`orchestra machines list --json`) as JSON text: every machine's view
 * (machine-view.ts) with the open instance it holds. On SQLite each machine's text is kept
 * with its row (machine-listing-text.ts) and the listing joins them: building the text per
 * machine at every listing (one json_object each, pretty-printed) cost 82 ms at 10,000
 * machines (tests/bench/inventory.ts); before that, building 10,000 row objects in
 * JavaScript cost 375 ms. PostgreSQL builds the same document from the views in JavaScript.
 * tests/inventory/machine-listing.test.ts holds the two to one text.
 */
import type { PowerTypeRegistry } from "../power/power-types.ts";
import type { SqlDatabase, SqlValue } from "../store/sql-database.ts";
import type { Instance } from "./instance.ts";
import type { Machine } from "./machine.ts";
import { listingElement, refreshListingText } from "./machine-listing-text.ts";
import type { MachineFilter } from "./machine-rows.ts";
import { machineView, type MachineView } from "./machine-view.ts";

/** A machine as listed: its view and the open instance it holds, if any. */
export type ListedMachine = MachineView & { instance: Pick<Instance, "instanceId" | "account"> | null };

/** What a listing is narrowed to: the SQL filter, and a tag every machine listed has. */
export interface ListingFilter extends Pick<MachineFilter, "status" | "zone" | "architecture"> {
  tag?: string;
}

/** Each machine's listed form, given the open instances. */
export function listedMachines(machines: readonly Machine[], openInstances: readonly Instance[], powerTypes: PowerTypeRegistry): ListedMachine[] {
  const open = new Map(openInstances.filter((i) => i.endedAt === null && i.systemId !== null).map((i) => [i.systemId!, i]));
  return machines.map((m) => {
    const instance = open.get(m.systemId);
    return { ...machineView(m, powerTypes), instance: instance ? { instanceId: instance.instanceId, account: instance.account } : null };
  });
}

/** The spaces JSON.stringify indents with for `indent`: whole numbers, at most 10. */
function indentSpaces(indent: number): number {
  return Math.min(10, Math.max(0, Math.trunc(indent) || 0));
}

/** `text` as an SQL string literal (newlines and all: a literal may hold them). */
const sqlText = (text: string) => `'${text.replaceAll("'", "''")}'`;

/**
 * The listing as SQLite writes it: each machine's stored text (machine-listing-text.ts)
 * with its status, power.testOnly from `powerTypes` and the open instance put in, joined
 * walking the hostname index. The stored text is indented as JSON.stringify(listing, null, 2)
 * indents; another `indent` has SQLite reformat the document (json_pretty, or json for
 * compact text). The indented document's brackets are put around SQLite's text in
 * JavaScript, where that is not a copy of 8 MB (each `||` copies the text so far).
 */
export async function sqliteListingJson(db: SqlDatabase, filter: ListingFilter, powerTypes: PowerTypeRegistry, indent: number): Promise<string> {
  const params: SqlValue[] = [];
  const bind = (value: SqlValue) => {
    params.push(value);
    return `$${params.length}`;
  };
  const where: string[] = [];
  if (filter.status !== undefined) where.push(`m.status = ${bind(filter.status)}`);
  if (filter.zone !== undefined) where.push(`m.zone = ${bind(filter.zone)}`);
  if (filter.architecture !== undefined) where.push(`m.architecture = ${bind(filter.architecture)}`);
  if (filter.tag !== undefined) where.push(`EXISTS (SELECT 1 FROM json_each(m.tags) AS t WHERE t.value = ${bind(filter.tag)})`);
  const testOnly = powerTypes.names().filter((name) => powerTypes.get(name).testOnly === true);
  const testOnlyText = testOnly.length ? `CASE WHEN m.power_type IN (${testOnly.map(bind).join(", ")}) THEN 'true' ELSE 'false' END` : "'false'";
  const instanceText = `CASE WHEN x.instance_id IS NULL THEN ${sqlText(',\n    "instance": null\n  }')} ELSE ${sqlText(',\n    "instance": {\n      "instanceId": ')} || json_quote(x.instance_id) || ${sqlText(',\n      "account": ')} || json_quote(x.account) || ${sqlText("\n    }\n  }")} END`;
  // NULL when the stored text is missing (written NULL by hand or by a migration): counted below.
  const element = listingElement(testOnlyText, instanceText);
  // Hostname order from the ordered subquery (a walk of the hostname index), which SQLite
  // keeps for the aggregate over it; the open instance is one lookup in its partial index.
  const elements = `SELECT ${element} AS element FROM machines AS m LEFT JOIN instances AS x ON x.machine_id = m.system_id AND x.ended_at IS NULL${
    where.length ? ` WHERE ${where.join(" AND ")}` : ""
  } ORDER BY m.hostname`;
  const joined = `group_concat(element, ${sqlText(",\n  ")})`;
  const spaces = indentSpaces(indent);
  const reformat = spaces === 0 ? (doc: string) => `json(${doc})` : (doc: string) => `json_pretty(${doc}, ${bind(" ".repeat(spaces))})`;
  const document = spaces === 2 ? joined : reformat(`'[' || coalesce(${sqlText("\n  ")} || ${joined} || char(10), '') || ']'`);
  const sql = `SELECT ${document} AS listing, count(*) AS machines, count(element) AS complete FROM (${elements})`;
  let row = (await db.get<{ listing: string; machines: number; complete: number }>(sql, params))!;
  if (Number(row.complete) !== Number(row.machines)) {
    // Never left out silently: the missing texts are written, then the listing is read again.
    await db.transaction((tx) => tx.run(refreshListingText("m.listing_head IS NULL OR m.listing_tail IS NULL")));
    row = (await db.get<{ listing: string; machines: number; complete: number }>(sql, params))!;
  }
  if (spaces !== 2) return row.listing;
  return Number(row.machines) === 0 ? "[]" : `[\n  ${row.listing}\n]`;
}
