/**
 * @module deploy/erasure-rows
 * Disk erasure on release: one row per machine for its latest erasure, tied to the
 * `disk_erasing` state entry it belongs to, with the token the ramdisk shows when it reports.
 * A machine only goes back to the pool on that report (or fails visibly), so a forged or
 * stale call cannot hand an unerased machine to the next tenant.
 */
import type { Migration } from "../store/migrations.ts";
import type { SqlExecutor } from "../store/sql-database.ts";
import type { StoreSecrets } from "../store/store-secrets.ts";

/** How thoroughly disks are erased: `quick` wipes each disk's first and last 2 MiB (partition tables, GPT backup, file system signatures); `full` writes zeros over every byte. */
export const ERASE_MODES = ["quick", "full"] as const;

/** An erase mode. */
export type EraseMode = (typeof ERASE_MODES)[number];

/** An erasure's phase; `erased` and `failed` are final. */
export type ErasurePhase = "planned" | "erased" | "failed";

export const ERASURE_MIGRATION: Migration = {
  version: 7,
  name: "disk erasures",
  statements: () => [
    `CREATE TABLE erasures (
      machine_id TEXT PRIMARY KEY REFERENCES machines (system_id) ON DELETE CASCADE,
      token TEXT NOT NULL UNIQUE,
      entered_at TEXT NOT NULL,
      mode TEXT NOT NULL,
      phase TEXT NOT NULL,
      message TEXT NOT NULL DEFAULT '',
      log TEXT NOT NULL DEFAULT '',
      started_at TEXT NOT NULL,
      updated_at TEXT NOT NULL
    )`,
  ],
};

/** A machine's latest erasure. */
export interface Erasure {
  readonly systemId: string;
  readonly token: string;
  /** The machine's statusChangedAt when it entered `disk_erasing` for this erasure. */
  readonly enteredAt: string;
  readonly mode: EraseMode;
  readonly phase: ErasurePhase;
  readonly message: string;
  readonly log: string;
  /** The one address the token is accepted from (docs/boot.md); null until a node first uses it. */
  readonly boundAddress: string | null;
}

interface Row {
  machine_id: string;
  token: string;
  entered_at: string;
  mode: string;
  phase: string;
  message: string;
  log: string;
  bound_address: string | null;
  sealed_token: string | null;
}

// At rest the token column holds the token's keyed hash; sealed_token holds it sealed.
function toErasure(row: Row, secrets: StoreSecrets): Erasure {
  const token = row.sealed_token === null ? row.token : secrets.open(row.sealed_token, `erasure:${row.machine_id}:token`);
  return { systemId: row.machine_id, token, enteredAt: row.entered_at, mode: row.mode as EraseMode, phase: row.phase as ErasurePhase, message: row.message, log: row.log, boundAddress: row.bound_address ?? null };
}

/** Record a new erasure for a machine, replacing its previous one. */
export async function insertErasure(tx: SqlExecutor, e: Pick<Erasure, "systemId" | "token" | "enteredAt" | "mode">, at: string): Promise<void> {
  await tx.run("DELETE FROM erasures WHERE machine_id = $1", [e.systemId]);
  await tx.run("INSERT INTO erasures (machine_id, token, sealed_token, entered_at, mode, phase, started_at, updated_at) VALUES ($1, $2, $3, $4, $5, 'planned', $6, $6)", [
    e.systemId,
    tx.secrets.lookupKey(e.token),
    tx.secrets.seal(e.token, `erasure:${e.systemId}:token`),
    e.enteredAt,
    e.mode,
    at,
  ]);
}

/** The erasure that holds `token`, if any. */
export async function erasureByToken(db: SqlExecutor, token: string): Promise<Erasure | undefined> {
  const row = await db.get<Row>("SELECT * FROM erasures WHERE token = $1", [db.secrets.lookupKey(token)]);
  return row && toErasure(row, db.secrets);
}

/** A machine's latest erasure, if any. */
export async function erasureOf(db: SqlExecutor, systemId: string): Promise<Erasure | undefined> {
  const row = await db.get<Row>("SELECT * FROM erasures WHERE machine_id = $1", [systemId]);
  return row && toErasure(row, db.secrets);
}

/** End a planned erasure; answers whether it was still planned. */
export async function finishErasure(tx: SqlExecutor, token: string, phase: "erased" | "failed", message: string, log: string, at: string): Promise<boolean> {
  return (await tx.run("UPDATE erasures SET phase = $2, message = $3, log = $4, updated_at = $5 WHERE token = $1 AND phase = 'planned'", [tx.secrets.lookupKey(token), phase, message, log, at])) > 0;
}
