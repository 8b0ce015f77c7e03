/**
 * @module server/periodic-worker
 * A background job run now and then every interval; runs never overlap, and a failed run
 * is logged and retried on the next tick rather than stopping the worker.
 */
import type { Logger } from "pino";

/** A background worker. */
export interface Worker {
  /** Stop it; resolves once a run in flight has finished. */
  stop(): Promise<void>;
}

/** Run `job` now and every `intervalMs` until stopped. */
export function startPeriodicWorker(name: string, job: () => Promise<void>, logger: Logger, intervalMs: number): Worker {
  let running: Promise<void> = Promise.resolve();
  let stopped = false;
  const run = async () => {
    try {
      await job();
    } catch (error) {
      logger.error({ err: error, worker: name }, `${name} failed`);
    }
  };
  const tick = () => {
    if (stopped) return;
    running = running.then(run);
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
