/**
 * @module server/metrics
 * Prometheus metrics on the boot listener (`/metrics`, the path the charm's
 * metrics-endpoint relation hands Prometheus), through prom-client: the process defaults
 * (CPU, memory, event loop, GC), build info, API requests and their latency by API and
 * action, power operations by driver and outcome, and the inventory's machines per
 * lifecycle state and open instances, read from the store at scrape time so every unit
 * sharing a store agrees. docs/metrics.md lists every series.
 */
import type { FastifyInstance } from "fastify";
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import { MACHINE_STATUSES } from "../inventory/lifecycle.ts";
import type { SqlExecutor } from "../store/sql-database.ts";

/** What one scrape reads from the store. */
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

/** Render only the inventory's series (every state, zeros included), in the text format 0.0.4. */
export function renderMetrics(snapshot: MetricsSnapshot): string {
  const lines = ["# HELP orchestra_machines Machines in the inventory, by lifecycle state.", "# TYPE orchestra_machines gauge"];
  // Every state, zeros included: a series that vanishes reads as "unknown", not "none".
  for (const status of MACHINE_STATUSES) lines.push(`orchestra_machines{status="${status}"} ${snapshot.machinesByStatus[status] ?? 0}`);
  lines.push("# HELP orchestra_instances_open Instances (allocations of machines) not yet ended.", "# TYPE orchestra_instances_open gauge");
  lines.push(`orchestra_instances_open ${snapshot.openInstances}`);
  return lines.join("\n") + "\n";
}

/** The counters the server's parts update; one per server, passed to each part explicitly. */
export class OrchestraMetrics {
  readonly registry = new Registry();
  readonly #requests: Counter<"api" | "action" | "code">;
  readonly #latency: Histogram<"api" | "action">;
  readonly #power: Counter<"driver" | "action" | "outcome">;
  readonly #deployments: Counter<"outcome">;
  readonly #enlistments: Counter<"outcome">;
  readonly #queue: Gauge;

  constructor(build: { version: string }) {
    collectDefaultMetrics({ register: this.registry, prefix: "orchestra_" });
    new Gauge({ name: "orchestra_build_info", help: "Always 1; the labels say which Orchestra and Node run.", labelNames: ["version", "node"], registers: [this.registry] }).set({ version: build.version, node: process.versions.node }, 1);
    this.#requests = new Counter({ name: "orchestra_api_requests_total", help: "API requests answered, by API, action and HTTP status.", labelNames: ["api", "action", "code"], registers: [this.registry] });
    this.#latency = new Histogram({
      name: "orchestra_api_request_duration_seconds",
      help: "Time to answer an API request, by API and action.",
      labelNames: ["api", "action"],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [this.registry],
    });
    this.#deployments = new Counter({ name: "orchestra_deployments_total", help: "Deployment reports from deploy ramdisks, by outcome (success, failure, refused).", labelNames: ["outcome"], registers: [this.registry] });
    this.#enlistments = new Counter({ name: "orchestra_enlistments_total", help: "Enlistment reports from discovery ramdisks, by outcome (created, commissioned, rate-limited, refused).", labelNames: ["outcome"], registers: [this.registry] });
    this.#queue = new Gauge({ name: "orchestra_engine_queue_depth", help: "Power steps and power requests the lifecycle engine found waiting at its last sweep.", registers: [this.registry] });
    this.#power = new Counter({ name: "orchestra_power_operations_total", help: "Power steps the engine ran, by driver, action and outcome (done, operator-action-required, failed, cancelled).", labelNames: ["driver", "action", "outcome"], registers: [this.registry] });
  }

  /** Count one answered request; `action` is the EC2 Action (unknown ones are counted as "invalid", so a client cannot mint series). */
  observeRequest(api: string, action: string, code: number, seconds: number): void {
    this.#requests.inc({ api, action, code: String(code) });
    this.#latency.observe({ api, action }, seconds);
  }

  /**
   * Count one answer of the boot listener by its route pattern (a bounded set: never the raw
   * URL); the deploy and enlistment reports also count as deployments and enlistments by outcome.
   */
  observeBootResponse(route: string, query: unknown, code: number, seconds: number): void {
    this.observeRequest("boot", route, code, seconds);
    if (route.endsWith("/deploy/:token/report")) {
      const status = (query as { status?: string } | undefined)?.status;
      this.#deployments.inc({ outcome: code >= 300 ? "refused" : status === "success" ? "success" : "failure" });
    } else if (route.endsWith("/enlist")) {
      this.#enlistments.inc({ outcome: code === 201 ? "created" : code === 200 ? "commissioned" : code === 429 ? "rate-limited" : "refused" });
    }
  }

  /** How much work the engine's last sweep found. */
  observeQueue(depth: number): void {
    this.#queue.set(depth);
  }

  /** Count one power step. */
  observePower(driver: string, action: string, outcome: string): void {
    this.#power.inc({ driver, action, outcome });
  }
}

/** Serve GET /metrics on `app`: the registry's series, then the inventory's. Scrapes are logged at debug only. */
export function registerMetrics(app: FastifyInstance, db: SqlExecutor, metrics?: OrchestraMetrics): void {
  app.get("/metrics", { logLevel: "warn" }, async (_request, reply) => {
    reply.type("text/plain; version=0.0.4; charset=utf-8");
    const own = metrics ? await metrics.registry.metrics() : "";
    return own + renderMetrics(await readMetrics(db));
  });
}
