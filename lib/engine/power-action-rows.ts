/**
 * @module engine/power-action-rows
 * The record of power steps: one row per (machine, state entry), claimed before the step
 * runs and finished after. A restarted server finds unfinished claims and runs them again
 * (power steps are idempotent), so an entry is never forgotten nor done twice at once.
 */
import type { Migration } from "../store/migrations.ts";
import type { SqlExecutor } from "../store/sql-database.ts";

/** The power_actions table. */
export const ENGINE_MIGRATION: Migration = {
  version: 4,
  name: "engine power actions",
  statements: () => [
    `CREATE TABLE power_actions (
      machine_id TEXT NOT NULL,
      entered_at TEXT NOT NULL,
      status TEXT NOT NULL,
      claimed_at TEXT NOT NULL,
      finished_at TEXT,
      outcome TEXT,
      message TEXT NOT NULL,
      PRIMARY KEY (machine_id, entered_at)
    )`,
  ],
};

/** A recorded power step. */
export interface PowerActionRow {
  machine_id: string;
  entered_at: string;
  status: string;
  claimed_at: string;
  finished_at: string | null;
  outcome: string | null;
  message: string;
}

/**
 * Claim the step for a machine's current state entry. Returns false when it is finished
 * already, or claimed by someone else less than `staleMs` ago (still running elsewhere).
 */
export async function claimPowerAction(tx: SqlExecutor, machineId: string, enteredAt: string, status: string, now: Date, staleMs: number): Promise<boolean> {
  let row = await tx.get<PowerActionRow>("SELECT * FROM power_actions WHERE machine_id = $1 AND entered_at = $2", [machineId, enteredAt]);
  if (row && row.status !== status) {
    // Two state entries within one millisecond share a timestamp: the row is the earlier
    // entry's (deploying, say), not this one's (releasing), and must not stand in for it.
    await tx.run("DELETE FROM power_actions WHERE machine_id = $1 AND entered_at = $2", [machineId, enteredAt]);
    row = undefined;
  }
  if (row?.finished_at) return false;
  if (row && now.getTime() - Date.parse(row.claimed_at) < staleMs) return false;
  if (row) await tx.run("UPDATE power_actions SET claimed_at = $3 WHERE machine_id = $1 AND entered_at = $2", [machineId, enteredAt, now.toISOString()]);
  else await tx.run("INSERT INTO power_actions (machine_id, entered_at, status, claimed_at, message) VALUES ($1, $2, $3, $4, '')", [machineId, enteredAt, status, now.toISOString()]);
  return true;
}

/** Record how a claimed step ended. */
export async function finishPowerAction(tx: SqlExecutor, machineId: string, enteredAt: string, outcome: string, message: string, now: Date): Promise<void> {
  await tx.run("UPDATE power_actions SET finished_at = $3, outcome = $4, message = $5 WHERE machine_id = $1 AND entered_at = $2", [machineId, enteredAt, now.toISOString(), outcome, message]);
}

/** The power steps recorded for a machine, oldest first. */
export async function selectPowerActions(tx: SqlExecutor, machineId: string): Promise<PowerActionRow[]> {
  return tx.all<PowerActionRow>("SELECT * FROM power_actions WHERE machine_id = $1 ORDER BY entered_at", [machineId]);
}

/**
 * The machines in `statuses` whose current state entry still needs its power step: no claim
 * for that entry yet, a claim left by another entry that shared its timestamp, or a claim
 * gone stale unfinished (claimed before `staleBefore`). The sweep reads only these; reading
 * every machine in those states, then claiming each in a transaction of its own, made each
 * sweep cost as much as the deployments in flight (tests/bench/deploy-overhead.ts).
 */
export async function selectMachinesNeedingPowerStep(tx: SqlExecutor, statuses: readonly string[], staleBefore: Date): Promise<string[]> {
  if (statuses.length === 0) return [];
  const rows = await tx.all<{ system_id: string }>(
    `SELECT m.system_id FROM machines m
       LEFT JOIN power_actions pa ON pa.machine_id = m.system_id AND pa.entered_at = m.status_changed_at
      WHERE m.status IN (${statuses.map((_, i) => `$${i + 2}`).join(", ")})
        AND (pa.machine_id IS NULL OR pa.status <> m.status OR (pa.finished_at IS NULL AND pa.claimed_at < $1))
      ORDER BY m.hostname`,
    [staleBefore.toISOString(), ...statuses],
  );
  return rows.map((row) => row.system_id);
}
