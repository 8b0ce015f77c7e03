/**
 * @module lab/lab-processes
 * Starting the lab's long-lived processes detached from the CLI that starts them, and
 * stopping them by pid, checked against their kernel start time so that a reused pid is
 * never signalled.
 */
import { openSync, closeSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { OrchestraError } from "../errors.ts";
import type { LabProcess } from "./lab-state.ts";

/** A process's start time in clock ticks since boot (field 22 of /proc/PID/stat), or undefined if it is gone. */
export async function processStartTime(pid: number): Promise<string | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // A zombie has exited; only its parent's wait is missing.
    if (fields[0] === "Z") return undefined;
    return fields[19];
  } catch {
    return undefined;
  }
}

/** Whether the recorded process is still the one running under its pid. */
export async function isRunning(process: LabProcess): Promise<boolean> {
  return (await processStartTime(process.pid)) === process.startTime;
}

/** Start `argv` detached, its output appended to `logFile`; resolves once it has been spawned. */
export async function startDetached(role: string, argv: readonly string[], logFile: string): Promise<LabProcess> {
  const fd = openSync(logFile, "a", 0o644);
  try {
    // node's own spawn (still an argv array, no shell): execa ties a child's life to a
    // promise in this process, and these children must outlive the CLI that starts them.
    const child = spawn(argv[0]!, argv.slice(1), { detached: true, stdio: ["ignore", fd, fd] });
    // events.once rejects on "error", so waiting for "spawn" yields the failure too.
    const spawned = await once(child, "spawn").then(() => undefined, (error: Error) => error);
    if (spawned || child.pid === undefined) {
      throw new OrchestraError("LAB_FAILED", `could not start ${role} (${argv[0]}): ${spawned?.message ?? "no pid"}`, { role });
    }
    const pid = child.pid;
    child.unref();
    const startTime = await processStartTime(pid);
    if (startTime === undefined) throw new OrchestraError("LAB_FAILED", `${role} exited at once; see ${logFile}`, { role, logFile });
    return { role, pid, startTime };
  } finally {
    closeSync(fd);
  }
}

/**
 * Stop a recorded process: SIGTERM, then SIGKILL after `graceMs`; resolves once it is gone,
 * with whether it was still running.
 */
export async function stopProcess(process: LabProcess, graceMs = 5000): Promise<boolean> {
  if (!(await isRunning(process))) return false;
  try {
    globalThis.process.kill(process.pid, "SIGTERM");
  } catch {
    return false;
  }
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!(await isRunning(process))) return true;
    await sleep(50);
  }
  try {
    globalThis.process.kill(process.pid, "SIGKILL");
  } catch {
    return true;
  }
  for (let i = 0; i < 100 && (await isRunning(process)); i++) await sleep(20);
  if (await isRunning(process)) throw new OrchestraError("LAB_FAILED", `${process.role} (pid ${process.pid}) survived SIGKILL`, { pid: process.pid });
  return true;
}

/**
 * The process a pidfile names, if it is still the one that wrote it: the pidfile's path must
 * be among its arguments (as with qemu's `-pidfile PATH`), so a reused pid is never taken.
 */
export async function pidFileProcess(role: string, pidFile: string): Promise<LabProcess | undefined> {
  const text = await readFile(pidFile, "utf8").catch(() => "");
  if (!/^\d+\s*$/.test(text)) return undefined;
  const pid = Number(text);
  const argv = await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "");
  if (!argv.split("\0").includes(pidFile)) return undefined;
  const startTime = await processStartTime(pid);
  return startTime === undefined ? undefined : { role, pid, startTime };
}
