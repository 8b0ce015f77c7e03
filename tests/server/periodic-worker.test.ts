import { setTimeout as sleep } from "node:timers/promises";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { startPeriodicWorker } from "../../lib/server/periodic-worker.ts";

const logger = pino({ level: "silent" });

describe("the periodic worker", () => {
  it("runs at once, then on wake without waiting for the interval", async () => {
    let runs = 0;
    const worker = startPeriodicWorker("test", async () => void runs++, logger, 60_000);
    await sleep(20);
    expect(runs).toBe(1);
    worker.wake();
    await sleep(20);
    expect(runs).toBe(2);
    await worker.stop();
  });

  it("folds wake-ups that arrive during a run into one more run, and never overlaps runs", async () => {
    let runs = 0;
    let inFlight = 0;
    let overlapped = false;
    const worker = startPeriodicWorker(
      "test",
      async () => {
        inFlight++;
        overlapped ||= inFlight > 1;
        runs++;
        await sleep(30);
        inFlight--;
      },
      logger,
      60_000,
    );
    await sleep(5); // the first run is in flight
    for (let i = 0; i < 10; i++) worker.wake();
    await sleep(120);
    expect(runs).toBe(2);
    expect(overlapped).toBe(false);
    await worker.stop();
  });

  it("keeps running after a failed run, and does nothing once stopped", async () => {
    let runs = 0;
    const worker = startPeriodicWorker(
      "test",
      async () => {
        runs++;
        throw new Error("boom");
      },
      logger,
      60_000,
    );
    await sleep(10);
    worker.wake();
    await sleep(10);
    expect(runs).toBe(2);
    await worker.stop();
    worker.wake();
    await sleep(10);
    expect(runs).toBe(2);
  });
});
