/**
 * @module server/timeout-worker
 * The background sweep that fails machines stuck past their state's timeout.
 */
import type { Logger } from "pino";
import type { Inventory } from "../inventory/inventory.ts";
import { startPeriodicWorker, type Worker } from "./periodic-worker.ts";

export type { Worker } from "./periodic-worker.ts";

/** Sweep now and then every `intervalMs`; sweeps never overlap. */
export function startTimeoutWorker(inventory: Inventory, logger: Logger, intervalMs: number): Worker {
  return startPeriodicWorker(
    "timeout sweep",
    async () => {
      for (const machine of await inventory.expireTimeouts()) {
        logger.warn({ systemId: machine.systemId, status: machine.status }, machine.statusMessage);
      }
    },
    logger,
    intervalMs,
  );
}
