import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { isRunning, processStartTime, startDetached, stopProcess } from "../../lib/lab/lab-processes.ts";

const dir = mkdtempSync(join(tmpdir(), "orchestra-processes-test-"));
const started: Array<{ role: string; pid: number; startTime: string }> = [];
afterAll(async () => {
  for (const process of started) await stopProcess(process, 1000);
  rmSync(dir, { recursive: true, force: true });
});

/** Wait until `log` holds `text`: a process has got that far before the test acts on it. */
async function waitForLog(log: string, text: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (readFileSync(log, "utf8").includes(text)) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`${log} never showed ${JSON.stringify(text)}`);
}

describe("the lab's processes", () => {
  it("start detached with their output in a log, and stop by pid", async () => {
    const log = join(dir, "echo.log");
    const sleeper = await startDetached("sleeper", ["sh", "-c", "echo hello; exec sleep 30"], log);
    started.push(sleeper);
    expect(await isRunning(sleeper)).toBe(true);
    await waitForLog(log, "hello\n");
    expect(await stopProcess(sleeper, 2000)).toBe(true);
    expect(await isRunning(sleeper)).toBe(false);
    expect(readFileSync(log, "utf8")).toBe("hello\n");
    expect(await stopProcess(sleeper)).toBe(false);
  });

  it("a process that ignores SIGTERM is killed after the grace period", async () => {
    const log = join(dir, "stubborn.log");
    const stubborn = await startDetached("stubborn", ["sh", "-c", "trap '' TERM; echo trapped; while true; do sleep 0.1; done"], log);
    started.push(stubborn);
    // Only once the trap is set does SIGTERM go unheeded.
    await waitForLog(log, "trapped");
    const t0 = Date.now();
    expect(await stopProcess(stubborn, 500)).toBe(true);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(450);
    expect(await isRunning(stubborn)).toBe(false);
  });

  it("never signals a pid that now belongs to another process", async () => {
    const sleeper = await startDetached("sleeper", ["sleep", "30"], join(dir, "reuse.log"));
    started.push(sleeper);
    // The same pid with another start time stands for a reused pid: it must be left alone.
    expect(await stopProcess({ ...sleeper, startTime: "1" })).toBe(false);
    expect(await isRunning(sleeper)).toBe(true);
    expect(await processStartTime(sleeper.pid)).toBe(sleeper.startTime);
  });

  it("a program that cannot start is a clear error", async () => {
    await expect(startDetached("ghost", ["/nonexistent/program"], join(dir, "ghost.log"))).rejects.toMatchObject({ code: "LAB_FAILED" });
  });
});
