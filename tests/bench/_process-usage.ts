/**
 * What a benchmarked server process has used, read from /proc: CPU seconds and peak RSS.
 * Shared by the benchmarks that put Orchestra beside nginx (boot-http, enlist-storm).
 */
import { readFile } from "node:fs/promises";

/** Linux's USER_HZ: /proc/<pid>/stat counts CPU time in these ticks. */
const TICKS_PER_SECOND = 100;

/** CPU seconds (user + system) used so far by `pid` and its children (nginx's worker), from /proc. */
export async function cpuSeconds(pid: number): Promise<number> {
  const children = (await readFile(`/proc/${pid}/task/${pid}/children`, "utf8").catch(() => "")).split(" ").filter(Boolean).map(Number);
  let ticks = 0;
  for (const p of [pid, ...children]) {
    const stat = await readFile(`/proc/${p}/stat`, "utf8").catch(() => "");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    ticks += Number(fields[11] ?? 0) + Number(fields[12] ?? 0);
  }
  return ticks / TICKS_PER_SECOND;
}

/** The process's peak resident set (VmHWM) in MiB; NaN once it is gone. */
export async function peakRssMib(pid: number): Promise<number> {
  const kb = (await readFile(`/proc/${pid}/status`, "utf8").catch(() => "")).match(/VmHWM:\s+(\d+) kB/)?.[1];
  return kb ? Number(kb) / 1024 : Number.NaN;
}
