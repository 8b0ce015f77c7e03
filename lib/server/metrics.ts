/**
 * @module server/metrics
 * Prometheus metrics on the boot listener (`/metrics`, the path the charm's
 * metrics-endpoint relation hands Prometheus): machines per lifecycle state and open
 * instances, read from the store at scrape time so every unit sharing a store agrees.
 */
import type { FastifyInstance } from "fastify";
import { MACHINE_STATUSES } from "../inventory/lifecycle.ts";
import type { SqlExecutor } from "../store/sql-database.ts";

/** What one scrape reports. */
export interface MetricsSnapshot {
  machinesByStatus: Readonly<Record<string, number>>;
  openInstances: number;
}

/** Read the snapshot from the store. */
export async function readMetrics(db: SqlExecutor): Promise<MetricsSnapshot> {
  const rows = await db.all<{ status: string; n: number }>("SELECT status, COUNT(*) AS n FROM machines GROUP BY status");
  const open = await db.get<{ n: number }>("SELECT COUNT(*) AS n FROM instances WHERE ended_at IS NULL");
  return { machinesByStatus: Object.fromEntries(rows.map((r) => [r.status, Number(r.n)])), openInstances: Number(open?.n ?? 0) };
}

/** Render a snapshot in the Prometheus text exposition format (0.0.4). */
export function renderMetrics(snapshot: MetricsSnapshot): string {
  const lines = ["# HELP orchestra_machines Machines in the inventory, by lifecycle state.", "# TYPE orchestra_machines gauge"];
  // Every state, zeros included: a series that vanishes reads as "unknown", not "none".
  for (const status of MACHINE_STATUSES) lines.push(`orchestra_machines{status="${status}"} ${snapshot.machinesByStatus[status] ?? 0}`);
  lines.push("# HELP orchestra_instances_open Instances (allocations of machines) not yet ended.", "# TYPE orchestra_instances_open gauge");
  lines.push(`orchestra_instances_open ${snapshot.openInstances}`);
  return lines.join("\n") + "\n";
}

/** Serve GET /metrics on `app`. */
export function registerMetrics(app: FastifyInstance, db: SqlExecutor): void {
  app.get("/metrics", async (_request, reply) => {
    reply.type("text/plain; version=0.0.4; charset=utf-8");
    return renderMetrics(await readMetrics(db));
  });
}
