/**
 * @module inventory/power-request
 * A request to change a machine's power without changing its lifecycle state (EC2's
 * Stop/Start/Reboot of a running instance). The request is a row; the lifecycle engine
 * carries it out through the machine's driver and removes it, so a request survives a
 * restart and the latest one wins.
 */
import type { Migration } from "../store/migrations.ts";
import type { SqlExecutor } from "../store/sql-database.ts";

/** What a request asks of the machine's power. */
export type PowerRequestAction = "on" | "off" | "cycle";

/** A pending power request. */
export interface PowerRequest {
  readonly systemId: string;
  readonly action: PowerRequestAction;
  readonly requestedAt: string;
  readonly reason: string;
  /** When the engine last tried it, and why that failed; null before any failed try. */
  readonly attemptedAt: string | null;
  readonly lastError: string | null;
}

/** The power_requests table. */
export const POWER_REQUEST_MIGRATION: Migration = {
  version: 5,
  name: "power requests",
  statements: () => [
    `CREATE TABLE power_requests (
      machine_id TEXT PRIMARY KEY REFERENCES machines (system_id) ON DELETE CASCADE,
      action TEXT NOT NULL,
      requested_at TEXT NOT NULL,
      reason TEXT NOT NULL,
      attempted_at TEXT,
      last_error TEXT
    )`,
  ],
};

interface Row {
  machine_id: string;
  action: string;
  requested_at: string;
  reason: string;
  attempted_at: string | null;
  last_error: string | null;
}

function toRequest(row: Row): PowerRequest {
  return { systemId: row.machine_id, action: row.action as PowerRequestAction, requestedAt: row.requested_at, reason: row.reason, attemptedAt: row.attempted_at, lastError: row.last_error };
}

/** Record a request for a machine, replacing any earlier one. */
export async function requestPowerWithin(tx: SqlExecutor, systemId: string, action: PowerRequestAction, reason: string, at: string): Promise<void> {
  await tx.run("DELETE FROM power_requests WHERE machine_id = $1", [systemId]);
  await tx.run("INSERT INTO power_requests (machine_id, action, requested_at, reason) VALUES ($1, $2, $3, $4)", [systemId, action, at, reason]);
}

/** Every pending request, oldest first. */
export async function selectPowerRequests(tx: SqlExecutor): Promise<PowerRequest[]> {
  return (await tx.all<Row>("SELECT machine_id, action, requested_at, reason, attempted_at, last_error FROM power_requests ORDER BY requested_at")).map(toRequest);
}

/** Remove a request once carried out, unless a newer one replaced it meanwhile. */
export async function completePowerRequest(tx: SqlExecutor, request: PowerRequest): Promise<void> {
  await tx.run("DELETE FROM power_requests WHERE machine_id = $1 AND requested_at = $2 AND action = $3", [request.systemId, request.requestedAt, request.action]);
}

/** Record a failed try; the request stays for the next one. */
export async function failPowerRequest(tx: SqlExecutor, request: PowerRequest, error: string, at: string): Promise<void> {
  await tx.run("UPDATE power_requests SET attempted_at = $4, last_error = $5 WHERE machine_id = $1 AND requested_at = $2 AND action = $3", [request.systemId, request.requestedAt, request.action, at, error]);
}
