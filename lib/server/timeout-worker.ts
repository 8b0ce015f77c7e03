/**
 * @module server/timeout-worker
 * The background sweep that fails machines stuck past their state's timeout.
 */
import type { Logger } from "pino";
import type { Inventory } from "../inventory/inventory.ts";

/** A background worker. */
export interface Worker {
  /** Stop it; resolves once a sweep in flight has finished. */
  stop(): Promise<void>;
}

/** Sweep now and then every `intervalMs`; sweeps never overlap. */
export function startTimeoutWorker(inventory: Inventory, logger: Logger, intervalMs: number): Worker {
  let running: Promise<void> = Promise.resolve();
  let stopped = false;
  const sweep = async () => {
    try {
      for (const machine of await inventory.expireTimeouts()) {
        logger.warn({ systemId: machine.systemId, status: machine.status }, machine.statusMessage);
      }
    } catch (error) {
      logger.error({ err: error }, "timeout sweep failed");
    }
  };
  const tick = () => {
    if (stopped) return;
    running = running.then(sweep);
  };
  tick();
  const timer = setInterval(tick, intervalMs);
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
