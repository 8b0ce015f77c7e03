/**
 * How busy the whole machine was while a benchmark ran (every process, other engineers'
 * included), and how much CPU the benchmark's own processes used: to say whether the CPU,
 * not what the benchmark meant to measure, was the limit.
 */
import { readFileSync } from "node:fs";
import { cpus } from "node:os";

/** Linux's USER_HZ: /proc counts CPU time in these ticks. */
const TICKS_PER_SECOND = 100;

interface CpuSample { busy: number; total: number }

function cpuSample(): CpuSample {
  const fields = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal: idle and iowait are not busy; guest is counted in user already.
  const total = fields.slice(0, 8).reduce((a, b) => a + b, 0);
  const idle = fields[3]! + fields[4]!;
  return { busy: total - idle, total };
}

function loadAverage(): number {
  return Number(readFileSync("/proc/loadavg", "utf8").split(" ")[0]);
}

/** CPU seconds used by this process and every child it has waited for (their children too). */
export function ownCpuSeconds(): number {
  const stat = readFileSync("/proc/self/stat", "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // utime stime cutime cstime: fields 14-17 of stat, 12-15 after the command name.
  return (Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) / TICKS_PER_SECOND;
}

/** What a watch saw between its start and its stop. */
export interface LoadFigures {
  /** Share of all cores busy over the whole interval (0-1), every process on the machine. */
  machineBusy: number;
  /** The busiest one-second sample's share (0-1). */
  peakBusy: number;
  /** One-minute load average at the start, the highest seen, at the end. */
  loadStart: number;
  loadMax: number;
  loadEnd: number;
  /** CPU seconds of this benchmark's own processes (itself and its waited-for children). */
  ownCpuSeconds: number;
  /** Wall seconds of the interval. */
  seconds: number;
  cores: number;
}

/** Starts sampling /proc/stat and /proc/loadavg once a second; `stop()` returns the figures. */
export function watchMachineLoad(): { stop: () => LoadFigures } {
  const first = cpuSample();
  const ownFirst = ownCpuSeconds();
  const started = process.hrtime.bigint();
  const loadStart = loadAverage();
  let loadMax = loadStart;
  let peakBusy = 0;
  let previous = first;
  const timer = setInterval(() => {
    const now = cpuSample();
    if (now.total > previous.total) peakBusy = Math.max(peakBusy, (now.busy - previous.busy) / (now.total - previous.total));
    previous = now;
    loadMax = Math.max(loadMax, loadAverage());
  }, 1000);
  timer.unref();
  return {
    stop: () => {
      clearInterval(timer);
      const last = cpuSample();
      const loadEnd = loadAverage();
      return {
        machineBusy: last.total > first.total ? (last.busy - first.busy) / (last.total - first.total) : 0,
        peakBusy,
        loadStart,
        loadMax: Math.max(loadMax, loadEnd),
        loadEnd,
        ownCpuSeconds: ownCpuSeconds() - ownFirst,
        seconds: Number(process.hrtime.bigint() - started) / 1e9,
        cores: cpus().length,
      };
    },
  };
}
