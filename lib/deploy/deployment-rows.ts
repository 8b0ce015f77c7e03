/**
 * @module deploy/deployment-rows
 * Reading and writing deployment rows. Every write that moves a deployment on is guarded by
 * the phase it expects, so a late or repeated call from a node changes nothing twice.
 */
import type { MachineStatus } from "../inventory/lifecycle.ts";
import type { SqlExecutor, SqlValue } from "../store/sql-database.ts";
import type { StoreSecrets } from "../store/store-secrets.ts";
import type { DeploymentPhase } from "./deployment-schema.ts";

/** A machine's latest deployment. */
export interface Deployment {
  readonly systemId: string;
  readonly token: string;
  /** The machine's statusChangedAt when it entered `deploying` for this deployment. */
  readonly enteredAt: string;
  readonly instanceId: string | null;
  readonly imageId: string;
  readonly nocloudSecret: string | null;
  readonly phase: DeploymentPhase;
  readonly bytesDone: number;
  readonly bytesTotal: number | null;
  /** The address the node called from (its provisioning address). */
  readonly nodeAddress: string | null;
  /** The one address the token is accepted from (docs/boot.md); null until a node first uses it. */
  readonly boundAddress: string | null;
  /** Where this deployment's part of the machine's console log starts, in bytes. */
  readonly consoleOffset: number;
  readonly message: string;
  readonly log: string;
  readonly startedAt: string;
  readonly updatedAt: string;
}

interface Row {
  machine_id: string;
  token: string;
  entered_at: string;
  instance_id: string | null;
  image_id: string;
  nocloud_secret: string | null;
  phase: string;
  bytes_done: number | string;
  bytes_total: number | string | null;
  node_address: string | null;
  bound_address: string | null;
  sealed_token: string | null;
  console_offset: number | string;
  message: string;
  log: string;
  started_at: string;
  updated_at: string;
}

// PostgreSQL hands BIGINT-ish columns back as strings; SQLite as numbers.
// At rest the token column holds the token's keyed hash (what it is looked up by), and
// sealed_token and nocloud_secret are sealed (lib/store/store-secrets.ts); callers see plain values.
// A row found by its token needs no opening of the sealed copy: `token` is that token. The
// NoCloud secret is opened when first read: only the plan and the seed need it, and opening it
// (AES-GCM) on every progress, report and booted call was 2 % of the server's time
// (tests/bench/deploy-overhead.ts).
function toDeployment(row: Row, secrets: StoreSecrets, token?: string): Deployment {
  const deployment = {
    systemId: row.machine_id,
    token: token ?? (row.sealed_token === null ? row.token : secrets.open(row.sealed_token, `deployment:${row.machine_id}:token`)),
    enteredAt: row.entered_at,
    instanceId: row.instance_id,
    imageId: row.image_id,
    nocloudSecret: null as string | null,
    phase: row.phase as DeploymentPhase,
    bytesDone: Number(row.bytes_done),
    bytesTotal: row.bytes_total === null ? null : Number(row.bytes_total),
    nodeAddress: row.node_address,
    boundAddress: row.bound_address ?? null,
    consoleOffset: Number(row.console_offset),
    message: row.message,
    log: row.log,
    startedAt: row.started_at,
    updatedAt: row.updated_at,
  };
  const sealed = row.nocloud_secret;
  if (sealed !== null) {
    let opened: string | undefined;
    Object.defineProperty(deployment, "nocloudSecret", { enumerable: true, get: () => (opened ??= secrets.open(sealed, `deployment:${row.machine_id}:nocloud`)) });
  }
  return deployment;
}

/** What starting a deployment records (the rest starts empty: phase `planned`, no bytes, no log). */
export type NewDeployment = Pick<Deployment, "systemId" | "token" | "enteredAt" | "instanceId" | "imageId" | "nocloudSecret" | "consoleOffset"> & { readonly at: string };

/** Record a new deployment for a machine, replacing its previous one. */
export async function insertDeployment(tx: SqlExecutor, d: NewDeployment): Promise<void> {
  await tx.run("DELETE FROM deployments WHERE machine_id = $1", [d.systemId]);
  await tx.run(
    `INSERT INTO deployments (machine_id, token, sealed_token, entered_at, instance_id, image_id, nocloud_secret, phase, console_offset, started_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, 'planned', $8, $9, $9)`,
    [
      d.systemId,
      tx.secrets.lookupKey(d.token),
      tx.secrets.seal(d.token, `deployment:${d.systemId}:token`),
      d.enteredAt,
      d.instanceId,
      d.imageId,
      d.nocloudSecret === null ? null : tx.secrets.seal(d.nocloudSecret, `deployment:${d.systemId}:nocloud`),
      d.consoleOffset,
      d.at,
    ],
  );
}

/** The deployment that holds `token`, if any. */
export async function deploymentByToken(db: SqlExecutor, token: string): Promise<Deployment | undefined> {
  const row = await db.get<Row>("SELECT * FROM deployments WHERE token = $1", [db.secrets.lookupKey(token)]);
  return row && toDeployment(row, db.secrets, token);
}

/** The state of the machine a deployment belongs to: what a node's call checks before it counts. */
export interface DeploymentMachineState {
  readonly systemId: string;
  readonly status: MachineStatus;
  readonly statusChangedAt: string;
}

/**
 * The deployment that holds `token` and its machine's state, in one read: a node's every call
 * checks both, and reading the whole machine (its row, then its interfaces) for two columns
 * was two of a deployment's statements per call (tests/bench/deploy-overhead.ts). `machine`
 * is undefined when the machine is gone.
 */
export async function deploymentWithMachineState(db: SqlExecutor, token: string): Promise<{ deployment: Deployment; machine: DeploymentMachineState | undefined } | undefined> {
  const row = await db.get<Row & { machine_status: string | null; machine_status_changed_at: string | null }>(
    "SELECT d.*, m.status AS machine_status, m.status_changed_at AS machine_status_changed_at FROM deployments d LEFT JOIN machines m ON m.system_id = d.machine_id WHERE d.token = $1",
    [db.secrets.lookupKey(token)],
  );
  if (!row) return undefined;
  const machine = row.machine_status === null || row.machine_status_changed_at === null ? undefined : { systemId: row.machine_id, status: row.machine_status as MachineStatus, statusChangedAt: row.machine_status_changed_at };
  return { deployment: toDeployment(row, db.secrets, token), machine };
}

/** A machine's latest deployment, if any. */
export async function deploymentOf(db: SqlExecutor, systemId: string): Promise<Deployment | undefined> {
  const row = await db.get<Row>("SELECT * FROM deployments WHERE machine_id = $1", [systemId]);
  return row && toDeployment(row, db.secrets);
}

/** The deployment made for an instance, if any. */
export async function deploymentOfInstance(db: SqlExecutor, instanceId: string): Promise<Deployment | undefined> {
  const row = await db.get<Row>("SELECT * FROM deployments WHERE instance_id = $1", [instanceId]);
  return row && toDeployment(row, db.secrets);
}

/** Fields a phase change may set along with the phase. */
export interface DeploymentUpdate {
  readonly phase?: DeploymentPhase;
  readonly bytesDone?: number;
  readonly bytesTotal?: number | null;
  readonly nodeAddress?: string;
  readonly message?: string;
  readonly log?: string;
}

const COLUMNS: Readonly<Record<keyof DeploymentUpdate, string>> = {
  phase: "phase",
  bytesDone: "bytes_done",
  bytesTotal: "bytes_total",
  nodeAddress: "node_address",
  message: "message",
  log: "log",
};

/**
 * Update the deployment holding `token` if its phase is one of `from`; answers whether a
 * row changed (false: the token is gone or the deployment has moved on meanwhile).
 */
export async function updateDeployment(tx: SqlExecutor, token: string, from: readonly DeploymentPhase[], update: DeploymentUpdate, at: string): Promise<boolean> {
  const sets: string[] = [];
  const values: SqlValue[] = [tx.secrets.lookupKey(token)];
  for (const [key, value] of Object.entries(update) as Array<[keyof DeploymentUpdate, SqlValue | undefined]>) {
    if (value === undefined) continue;
    values.push(value);
    sets.push(`${COLUMNS[key]} = $${values.length}`);
  }
  values.push(at);
  sets.push(`updated_at = $${values.length}`);
  const phases = from.map((phase) => {
    values.push(phase);
    return `$${values.length}`;
  });
  return (await tx.run(`UPDATE deployments SET ${sets.join(", ")} WHERE token = $1 AND phase IN (${phases.join(", ")})`, values)) > 0;
}

/**
 * The images of deployments in flight: their machine is still in the `deploying` it entered
 * for them, and the node has not failed or booted (the fan-out seeder serves these).
 */
export async function imagesInFlight(db: SqlExecutor): Promise<string[]> {
  const rows = await db.all<{ image_id: string }>(
    `SELECT DISTINCT d.image_id FROM deployments d JOIN machines m ON m.system_id = d.machine_id
     WHERE m.status = 'deploying' AND m.status_changed_at = d.entered_at AND d.phase IN ('planned', 'writing', 'written')
     ORDER BY d.image_id`,
    [],
  );
  return rows.map((row) => row.image_id);
}
