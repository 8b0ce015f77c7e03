/**
 * @module dashboard/machine-list
 * The machine table behind the dashboard: filtered, sorted and paged in SQL, so a page of
 * 50 costs the same at 10,000 machines as at 10. Reads only the columns the table shows.
 */
import { OrchestraError } from "../errors.ts";
import { isMachineStatus, MACHINE_STATUSES } from "../inventory/lifecycle.ts";
import type { SqlExecutor, SqlValue } from "../store/sql-database.ts";
import { oneOf, onlyFields, optionalString, wholeNumber } from "./query-params.ts";

/** The columns the list sorts by, and the SQL each maps to. */
export const MACHINE_SORTS = { hostname: "m.hostname", status: "m.status", zone: "m.zone", cpus: "m.cpus", memory: "m.memory_mib", storage: "m.storage_bytes", changed: "m.status_changed_at" } as const;

/** What the list asks for, checked. */
export interface MachineListQuery {
  status?: string;
  zone?: string;
  tag?: string;
  q?: string;
  sort: keyof typeof MACHINE_SORTS;
  order: "asc" | "desc";
  page: number;
  pageSize: number;
}

/** One row of the machine table. */
export interface MachineListRow {
  systemId: string;
  hostname: string;
  status: string;
  statusMessage: string;
  powerType: string;
  zone: string;
  tags: string[];
  cpus: number;
  memoryMib: number;
  storageBytes: number;
  owner: string | null;
  instanceId: string | null;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

/** Check the list's query string; unknown parameters and bad values are refused. */
export function parseMachineListQuery(query: unknown): MachineListQuery {
  const input = onlyFields(query, ["status", "zone", "tag", "q", "sort", "order", "page", "pageSize"], "query");
  const status = optionalString(input, "status");
  if (status !== undefined && !isMachineStatus(status)) throw new OrchestraError("INVALID_ARGUMENT", `unknown status ${JSON.stringify(status)} (known: ${MACHINE_STATUSES.join(", ")})`, { field: "status" });
  const zone = optionalString(input, "zone");
  if (zone !== undefined && !NAME.test(zone)) throw new OrchestraError("INVALID_ARGUMENT", `invalid zone ${JSON.stringify(zone)}`, { field: "zone" });
  const tag = optionalString(input, "tag");
  if (tag !== undefined && !NAME.test(tag)) throw new OrchestraError("INVALID_ARGUMENT", `invalid tag ${JSON.stringify(tag)}`, { field: "tag" });
  const q = optionalString(input, "q", 100);
  return {
    ...(status ? { status } : {}),
    ...(zone ? { zone } : {}),
    ...(tag ? { tag } : {}),
    ...(q ? { q } : {}),
    sort: oneOf(input, "sort", Object.keys(MACHINE_SORTS) as (keyof typeof MACHINE_SORTS)[], "hostname"),
    order: oneOf(input, "order", ["asc", "desc"] as const, "asc"),
    page: wholeNumber(input, "page", 1, 1_000_000, 1),
    pageSize: wholeNumber(input, "pageSize", 1, 500, 50),
  };
}

/** LIKE's wildcards in user text, escaped so they match themselves. */
function likeText(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** One page of machines and the total that match. */
export async function listMachinePage(db: SqlExecutor, query: MachineListQuery): Promise<{ total: number; machines: MachineListRow[] }> {
  const where: string[] = [];
  const params: SqlValue[] = [];
  const add = (clause: string, ...values: SqlValue[]) => {
    let text = clause;
    for (const value of values) {
      params.push(value);
      text = text.replace("?", `$${params.length}`);
    }
    where.push(text);
  };
  if (query.status) add("m.status = ?", query.status);
  if (query.zone) add("m.zone = ?", query.zone);
  // Tags are stored as a JSON array of names that match NAME, so the quoted name is exact.
  if (query.tag) add("m.tags LIKE ?", `%${JSON.stringify(query.tag)}%`);
  if (query.q) {
    const like = likeText(query.q.toLowerCase());
    add("(LOWER(m.hostname) LIKE ? ESCAPE '\\' OR LOWER(m.system_id) LIKE ? ESCAPE '\\' OR EXISTS (SELECT 1 FROM interfaces n WHERE n.machine_id = m.system_id AND n.mac LIKE ? ESCAPE '\\'))", like, like, like);
  }
  const whereSql = where.length ? ` WHERE ${where.join(" AND ")}` : "";
  const total = Number((await db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM machines m${whereSql}`, params))?.n ?? 0);
  const order = `${MACHINE_SORTS[query.sort]} ${query.order === "desc" ? "DESC" : "ASC"}, m.system_id`;
  const offset = (query.page - 1) * query.pageSize;
  const rows = await db.all<{ system_id: string; hostname: string; status: string; status_message: string; power_type: string; zone: string; tags: string; cpus: number; memory_mib: number; storage_bytes: number; account: string | null; instance_id: string | null }>(
    `SELECT m.system_id, m.hostname, m.status, m.status_message, m.power_type, m.zone, m.tags, m.cpus, m.memory_mib, m.storage_bytes, i.account, i.instance_id
     FROM machines m LEFT JOIN instances i ON i.machine_id = m.system_id AND i.ended_at IS NULL${whereSql}
     ORDER BY ${order} LIMIT ${query.pageSize} OFFSET ${offset}`,
    params,
  );
  return {
    total,
    machines: rows.map((r) => ({
      systemId: r.system_id,
      hostname: r.hostname,
      status: r.status,
      statusMessage: r.status_message,
      powerType: r.power_type,
      zone: r.zone,
      tags: JSON.parse(r.tags) as string[],
      cpus: Number(r.cpus),
      memoryMib: Number(r.memory_mib),
      storageBytes: Number(r.storage_bytes),
      owner: r.account,
      instanceId: r.instance_id,
    })),
  };
}
