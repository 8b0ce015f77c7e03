/**
 * @module ec2/model/instance-records
 * An account's instances as EC2 sees them: the inventory's allocation and machine joined
 * with what RunInstances recorded, and the EC2 state that follows from the machine's state.
 */
import type { SqlDialect, SqlExecutor, SqlValue } from "../../store/sql-database.ts";
import type { StoreSecrets } from "../../store/store-secrets.ts";
import type { MachineStatus } from "../../inventory/lifecycle.ts";
import { TERMINATED_VISIBLE_MS, type InstanceStateName } from "./instance-state.ts";

/** One instance with everything DescribeInstances shows. */
export interface InstanceRecord {
  readonly instanceId: string;
  readonly account: string;
  readonly reservationId: string;
  readonly launchIndex: number;
  readonly imageId: string;
  readonly instanceType: string;
  readonly keyName: string | null;
  readonly zone: string;
  readonly subnetId: string;
  readonly vpcId: string;
  /**
   * The user data as stored, sealed (lib/store/store-secrets.ts): openUserData opens it. Only
   * DescribeInstanceAttribute shows it, and opening it for every row read (an AES open each,
   * where Juju's cloud-init user data sits on every instance) was a large part of a listing.
   */
  readonly sealedUserData: string | null;
  readonly clientToken: string | null;
  readonly poweredOff: boolean;
  /** ModifyInstanceAttribute's protections: TerminateInstances and StopInstances refuse while set. */
  readonly disableApiTermination: boolean;
  readonly disableApiStop: boolean;
  /** What a shutdown from inside the node means: `stop` or `terminate`. */
  readonly shutdownBehavior: string;
  readonly launchedAt: string;
  readonly endedAt: string | null;
  readonly systemId: string | null;
  readonly machineStatus: MachineStatus | null;
  readonly machineStatusMessage: string | null;
  readonly hostname: string | null;
  readonly architecture: string | null;
  readonly powerType: string | null;
  readonly privateIp: string | null;
  readonly mac: string | null;
  readonly disks: readonly { name: string; sizeBytes: number }[];
  readonly groups: { groupId: string; groupName: string }[];
  readonly state: InstanceStateName;
  readonly stateReason: { code: string; message: string } | null;
}

export interface InstanceRow {
  instance_id: string;
  account: string;
  reservation_id: string;
  launch_index: number;
  image_id: string;
  instance_type: string;
  key_name: string | null;
  zone: string;
  subnet_id: string;
  vpc_id: string;
  user_data: string | null;
  client_token: string | null;
  powered_off: number;
  disable_api_termination: number;
  disable_api_stop: number;
  shutdown_behavior: string;
  launched_at: string;
  ended_at: string | null;
  machine_id: string | null;
  status: string | null;
  status_message: string | null;
  hostname: string | null;
  architecture: string | null;
  power_type: string | null;
  hardware: string | null;
  disks: string | null;
  mac: string | null;
  power_request: string | null;
  node_ipv4: string | null;
  /** The security groups, in position order: GROUP_SEPARATOR between each id and name and between groups; null for none. */
  security_groups: string | null;
}

/**
 * What separates the fields of the groups column: U+0001, which no stored name can hold (the
 * API refuses every control character XML cannot carry: ../query/parse-form.ts).
 */
const GROUP_SEPARATOR = "\u0001";

/**
 * An instance's security groups as one text column, aggregated in the row's own query: read
 * by a second query per batch of 500, with the batch's ids bound as 500 parameters, and kept
 * as a Map of arrays of objects, they cost about a sixth of a listing's CPU.
 */
function groupsColumn(dialect: SqlDialect): string {
  const [aggregate, separator] = dialect === "postgres" ? ["string_agg", "chr(1)"] : ["group_concat", "char(1)"];
  return `(SELECT ${aggregate}(g.group_id || ${separator} || coalesce(s.group_name, ''), ${separator} ORDER BY g.position)
    FROM ec2_instance_groups g LEFT JOIN ec2_security_groups s ON s.group_id = g.group_id WHERE g.instance_id = e.instance_id) AS security_groups`;
}

function selectFor(dialect: SqlDialect): string {
  return `SELECT e.instance_id, e.account, e.reservation_id, e.launch_index, e.image_id, e.instance_type, e.key_name, e.zone,
  e.subnet_id, e.vpc_id, e.user_data, e.client_token, e.powered_off, e.disable_api_termination, e.disable_api_stop, e.shutdown_behavior, e.launched_at, i.ended_at, i.machine_id,
  m.status, m.status_message, m.hostname, m.architecture, m.power_type, m.hardware, m.disks,
  (SELECT n.mac FROM interfaces n WHERE n.machine_id = m.system_id ORDER BY n.boot DESC, n.position LIMIT 1) AS mac,
  (SELECT r.action FROM power_requests r WHERE r.machine_id = m.system_id) AS power_request,
  (SELECT md.local_ipv4 FROM instance_metadata md WHERE md.instance_id = e.instance_id) AS node_ipv4,
  ${groupsColumn(dialect)}
  FROM ec2_instances e JOIN instances i ON i.instance_id = e.instance_id LEFT JOIN machines m ON m.system_id = i.machine_id`;
}

const SELECT: Readonly<Record<SqlDialect, string>> = { sqlite: selectFor("sqlite"), postgres: selectFor("postgres") };

/**
 * Read SELECT's rows as arrays and name their columns here, in SELECT's order: the store
 * building an object with 29 named properties per row cost more than the query itself
 * (tests/ec2/model/instance-records.test.ts reads both ways and holds them together).
 */
export async function selectInstanceRows(db: SqlExecutor, where: string, params: readonly SqlValue[]): Promise<InstanceRow[]> {
  return (await db.allArrays(`${SELECT[db.dialect]} ${where}`, params)).map(rowOf);
}

function rowOf(c: SqlValue[]): InstanceRow {
  return {
    instance_id: c[0] as string,
    account: c[1] as string,
    reservation_id: c[2] as string,
    launch_index: c[3] as number,
    image_id: c[4] as string,
    instance_type: c[5] as string,
    key_name: c[6] as string | null,
    zone: c[7] as string,
    subnet_id: c[8] as string,
    vpc_id: c[9] as string,
    user_data: c[10] as string | null,
    client_token: c[11] as string | null,
    powered_off: c[12] as number,
    disable_api_termination: c[13] as number,
    disable_api_stop: c[14] as number,
    shutdown_behavior: c[15] as string,
    launched_at: c[16] as string,
    ended_at: c[17] as string | null,
    machine_id: c[18] as string | null,
    status: c[19] as string | null,
    status_message: c[20] as string | null,
    hostname: c[21] as string | null,
    architecture: c[22] as string | null,
    power_type: c[23] as string | null,
    hardware: c[24] as string | null,
    disks: c[25] as string | null,
    mac: c[26] as string | null,
    power_request: c[27] as string | null,
    node_ipv4: c[28] as string | null,
    security_groups: c[29] as string | null,
  };
}

/** SELECT's rows as the store names them: what selectInstanceRows must equal (for its test). */
export async function selectInstanceRowObjects(db: SqlExecutor, where: string, params: readonly SqlValue[]): Promise<InstanceRow[]> {
  return db.all<InstanceRow>(`${SELECT[db.dialect]} ${where}`, params);
}

/** Which instances to load. */
export interface InstanceQuery {
  readonly account: string;
  /** Only these ids (already validated); undefined means all of the account's. */
  readonly instanceIds?: readonly string[];
  /** Also instances terminated over an hour ago (for idempotent terminate). */
  readonly includeExpired?: boolean;
  readonly now: Date;
}

/** Load instances in instance-id order. */
export async function loadInstances(db: SqlExecutor, query: InstanceQuery): Promise<InstanceRecord[]> {
  const params: SqlValue[] = [query.account];
  let where = "e.account = $1";
  if (query.instanceIds) {
    if (query.instanceIds.length === 0) return [];
    where += ` AND e.instance_id IN (${query.instanceIds.map((id) => `$${params.push(id)}`).join(", ")})`;
  }
  if (!query.includeExpired) {
    where += ` AND (i.ended_at IS NULL OR i.ended_at > $${params.push(new Date(query.now.getTime() - TERMINATED_VISIBLE_MS).toISOString())})`;
  }
  const rows = await selectInstanceRows(db, `WHERE ${where} ORDER BY e.instance_id`, params);
  return rows.map(toRecord);
}

/** Which instances to read, a batch at a time, in reservation order. */
export interface InstanceScan {
  readonly account: string;
  readonly now: Date;
  /** Only these ids (already validated). */
  readonly instanceIds?: readonly string[];
  /** Only reservations after this id (a NextToken's). */
  readonly afterReservation?: string;
  /** Extra conditions over e, i and m, with parameters numbered after $1 (the account): ./instance-filter-sql.ts. */
  readonly conditions?: readonly string[];
  readonly params?: readonly SqlValue[];
  /** Rows per query (default SCAN_BATCH). */
  readonly batch?: number;
}

/**
 * Rows per query of a scan: big enough that per-query costs vanish, small enough that memory
 * stays flat. A batch's rows and records live until its XML is written: with serve's 1 MiB
 * semi-space (lib/server/serve-node-flags.ts) 500 of them (about 1 MiB) were copied by every
 * scavenge while they lived and then promoted; 100 read 1,000 rows in 6.2 ms of CPU against
 * 8.4-9.4 with 500 (and 5.5 either way with V8's default young generation).
 */
export const SCAN_BATCH = 100;

/**
 * An account's live instances in (reservation id, launch index) order, a batch at a time,
 * each instance with its security groups: a keyset walk over the ec2_instances_by_reservation
 * index, so memory is one batch whatever the account holds. Not one transaction: an instance
 * launched or ended while a long answer is read may or may not be in it, as on AWS.
 */
export async function* scanInstances(db: SqlExecutor, scan: InstanceScan): AsyncGenerator<InstanceRecord[]> {
  if (scan.instanceIds?.length === 0) return;
  const params: SqlValue[] = [scan.account, ...(scan.params ?? [])];
  const where = ["e.account = $1", ...(scan.conditions ?? [])];
  if (scan.instanceIds) where.push(`e.instance_id IN (${scan.instanceIds.map((id) => `$${params.push(id)}`).join(", ")})`);
  where.push(`(i.ended_at IS NULL OR i.ended_at > $${params.push(new Date(scan.now.getTime() - TERMINATED_VISIBLE_MS).toISOString())})`);
  if (scan.instanceIds) {
    // Named ids (1,000 at most) are one read by primary key, sorted here: with the keyset
    // order in the query, SQLite walked the account's whole reservation index instead, so
    // one instance by id cost more as the account grew.
    const rows = await selectInstanceRows(db, `WHERE ${where.join(" AND ")}`, params);
    const records = rows.map(toRecord);
    records.sort((a, b) => (a.reservationId === b.reservationId ? a.launchIndex - b.launchIndex : a.reservationId < b.reservationId ? -1 : 1));
    if (records.length) yield records;
    return;
  }
  const limit = Math.trunc(scan.batch ?? SCAN_BATCH);
  const reservationParam = params.push(scan.afterReservation ?? "");
  // After a token's reservation means after every instance of it.
  const indexParam = params.push(scan.afterReservation === undefined ? -1 : 2 ** 31);
  const sql = `WHERE ${where.join(" AND ")} AND (e.reservation_id, e.launch_index) > ($${reservationParam}, $${indexParam}) ORDER BY e.reservation_id, e.launch_index LIMIT ${limit}`;
  for (;;) {
    const rows = await selectInstanceRows(db, sql, params);
    if (rows.length === 0) return;
    yield rows.map(toRecord);
    if (rows.length < limit) return;
    const last = rows[rows.length - 1]!;
    params[reservationParam - 1] = last.reservation_id;
    params[indexParam - 1] = Number(last.launch_index);
  }
}

/** The groups column read back: [id, name] pairs in position order. */
function groupsOf(column: string | null): { groupId: string; groupName: string }[] {
  if (column === null) return [];
  const fields = column.split(GROUP_SEPARATOR);
  const groups: { groupId: string; groupName: string }[] = [];
  for (let i = 0; i + 1 < fields.length; i += 2) groups.push({ groupId: fields[i]!, groupName: fields[i + 1]! });
  return groups;
}

function toRecord(row: InstanceRow): InstanceRecord {
  const hardware = row.hardware ? (JSON.parse(row.hardware) as Record<string, string>) : {};
  const status = row.status as MachineStatus | null;
  const [state, stateReason] = mapState(row.ended_at, status, row.powered_off === 1, row.status_message, row.power_request !== null);
  return {
    instanceId: row.instance_id,
    account: row.account,
    reservationId: row.reservation_id,
    launchIndex: Number(row.launch_index),
    imageId: row.image_id,
    instanceType: row.instance_type,
    keyName: row.key_name,
    zone: row.zone,
    subnetId: row.subnet_id,
    vpcId: row.vpc_id,
    sealedUserData: row.user_data,
    clientToken: row.client_token,
    poweredOff: row.powered_off === 1,
    disableApiTermination: Number(row.disable_api_termination) === 1,
    disableApiStop: Number(row.disable_api_stop) === 1,
    shutdownBehavior: row.shutdown_behavior,
    launchedAt: row.launched_at,
    endedAt: row.ended_at,
    systemId: row.machine_id,
    machineStatus: status,
    machineStatusMessage: row.status_message,
    hostname: row.hostname,
    architecture: row.architecture,
    powerType: row.power_type,
    // The address the node called back from while deploying (what its metadata answers to), else the inventory's.
    privateIp: row.node_ipv4 ?? hardware.ip_address ?? null,
    mac: row.mac,
    disks: row.disks ? (JSON.parse(row.disks) as { name: string; sizeBytes: number }[]) : [],
    groups: groupsOf(row.security_groups),
    state,
    stateReason,
  };
}

/** An instance's user data (base64), opened from its sealed column. */
export function openUserData(instance: Pick<InstanceRecord, "instanceId" | "sealedUserData">, secrets: StoreSecrets): string | null {
  return instance.sealedUserData === null ? null : secrets.open(instance.sealedUserData, `instance:${instance.instanceId}:user-data`);
}

/**
 * DESIGN.md's mapping: allocated/deploying = pending, deployed = running (or stopped when
 * powered off), releasing = shutting-down, allocation ended = terminated. A failed
 * deployment or a broken machine shows as stopped with the reason, so nothing hides. While a
 * power request (Stop, Start) is not yet carried out, a deployed machine is stopping or pending.
 */
export function mapState(endedAt: string | null, status: MachineStatus | null, poweredOff: boolean, message: string | null, powerPending = false): [InstanceStateName, { code: string; message: string } | null] {
  if (endedAt !== null || status === null) return ["terminated", { code: "Client.UserInitiatedShutdown", message: "Client.UserInitiatedShutdown: User initiated shutdown" }];
  switch (status) {
    case "allocated":
    case "deploying":
      return ["pending", null];
    case "deployed":
      if (poweredOff) return powerPending ? ["stopping", null] : ["stopped", { code: "Client.UserInitiatedShutdown", message: "Client.UserInitiatedShutdown: User initiated shutdown" }];
      return powerPending ? ["pending", null] : ["running", null];
    case "releasing":
    case "disk_erasing":
    case "failed_releasing":
    case "failed_disk_erasing":
      return ["shutting-down", null];
    default:
      return ["stopped", { code: "Server.InternalError", message: `Server.InternalError: machine is ${status}: ${message ?? ""}`.trim() }];
  }
}
