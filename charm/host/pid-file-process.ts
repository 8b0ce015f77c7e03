/**
 * @module charm/host/pid-file-process
 * A service without systemd or an init script (containers, CI): a detached process with
 * a pid file and a log file. Stopped by its pid, never by name.
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync } from "node:fs";
import { spawn } from "node:child_process";
import { dirname } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { writeFileAtomic } from "../host/write-file-atomic.ts";

/** Where the direct-mode process keeps its pid and log. */
export interface ProcessFiles {
  pidFile: string;
  logFile: string;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The pid in the pid file if that process is alive, else null. */
export function runningPid(files: ProcessFiles): number | null {
  if (!existsSync(files.pidFile)) return null;
  const pid = Number(readFileSync(files.pidFile, "utf8").trim());
  return Number.isInteger(pid) && pid > 0 && alive(pid) ? pid : null;
}

/** Starts argv detached unless the pid file names a live process. */
export function startProcess(files: ProcessFiles, argv: readonly string[], env: Record<string, string>): number {
  const existing = runningPid(files);
  if (existing !== null) return existing;
  mkdirSync(dirname(files.logFile), { recursive: true });
  const log = openSync(files.logFile, "a");
  try {
    const child = spawn(argv[0]!, argv.slice(1), { detached: true, stdio: ["ignore", log, log], env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env } });
    if (child.pid === undefined) throw new Error(`could not start ${argv[0]}`);
    child.unref();
    writeFileAtomic(files.pidFile, `${child.pid}\n`);
    return child.pid;
  } finally {
    closeSync(log);
  }
}

/** Stops the process named by the pid file (SIGTERM, then SIGKILL after 10 s). */
export async function stopProcess(files: ProcessFiles): Promise<void> {
  const pid = runningPid(files);
  if (pid !== null) {
    process.kill(pid, "SIGTERM");
    for (let waited = 0; alive(pid) && waited < 10_000; waited += 100) await sleep(100);
    if (alive(pid)) process.kill(pid, "SIGKILL");
  }
  rmSync(files.pidFile, { force: true });
}
