/**
 * @module server/periodic-worker
 * A background job run now, every interval, and whenever something woke it; runs never
 * overlap, wake-ups and ticks that arrive while a run is waiting to start fold into that
 * run, and a failed run is logged and retried on the next tick rather than stopping the
 * worker.
 */
import type { Logger } from "pino";

/** A background worker. */
export interface Worker {
  /** Run the job soon (after the run in flight, if any), without waiting for the next tick. */
  wake(): void;
  /** Stop it; resolves once a run in flight has finished. */
  stop(): Promise<void>;
}

/** Run `job` now and every `intervalMs` until stopped. */
export function startPeriodicWorker(name: string, job: () => Promise<void>, logger: Logger, intervalMs: number): Worker {
  let running: Promise<void> = Promise.resolve();
  let stopped = false;
  let queued = false;
  const run = async () => {
    queued = false;
    if (stopped) return;
    try {
      await job();
    } catch (error) {
      logger.error({ err: error, worker: name }, `${name} failed`);
    }
  };
  const schedule = () => {
    // One run waiting is enough: it will see everything that happened before it starts.
    if (stopped || queued) return;
    queued = true;
    running = running.then(run);
  };
  schedule();
  const timer = setInterval(schedule, intervalMs);
  return {
    wake: schedule,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
