/**
 * Test helpers for the lab's fan-out (`lab up --fanout`, issue 17): the server's tracker as a
 * process (find it by its pid file, ask it, kill it), and what serve's log says the swarm did.
 */
import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { execa } from "execa";
import { expect } from "vitest";
import type { LabStatus } from "../../lib/lab/lab-status.ts";

/**
 * The lab server's fan-out tracker (`serve --fanout` runs it as `orchestra fanout tracker`,
 * its pid in <data dir>/fanout/tracker.pid): whether it runs, whether it answers on the lab's
 * network (GET /fanout/health from inside the namespace, as a node would reach it), and a
 * kill by that pid, checked to be the tracker first (pids get reused).
 */
export async function fanoutTracker(dataDir: string, status: LabStatus) {
  const pid = Number(readFileSync(join(dataDir, "fanout", "tracker.pid"), "utf8"));
  const healthUrl = `http://${new URL(status.nodeBootUrl).hostname}:5249/fanout/health`;
  const isTracker = async () => (await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "")).split("\0").join(" ").includes(` fanout tracker --data-dir ${dataDir} `);
  return {
    pid,
    /** Whether the process by that pid is still the tracker. */
    running: isTracker,
    /** Whether a node would reach it now: true on "ok", false when the connection fails. */
    async answers(): Promise<boolean> {
      const got = await execa("ip", ["netns", "exec", status.namespace, "curl", "-sS", "--max-time", "10", healthUrl], { reject: false, all: true });
      return got.exitCode === 0 && got.stdout.trim() === "ok";
    },
    /** SIGKILL, as a crash would end it. */
    async kill(): Promise<void> {
      expect(await isTracker(), `pid ${pid} is the fan-out tracker`).toBe(true);
      process.kill(pid, "SIGKILL");
      for (let i = 0; i < 100 && (await isTracker()); i++) await sleep(100);
    },
  };
}

/** What serve's log (JSON lines: its own, its tracker's, its seeders') says about the swarms. */
export interface FanoutLogEvidence {
  /** Peers the tracker admitted, by label (a machine's system id, or "server"): the address they announced from. */
  readonly joined: Map<string, string>;
  /** Bytes the server's seeders sent, by peer IP (the largest tally per ip:port, summed). */
  readonly servedByIp: Map<string, number>;
  /** The tracker's refusals (reasons). */
  readonly refused: string[];
  /** serve saw its tracker exit. */
  readonly trackerExited: boolean;
}

/** Read the fan-out lines of serve's log (lib/fanout's tracker and seeder messages). */
export function fanoutLogEvidence(serveLog: string): FanoutLogEvidence {
  const joined = new Map<string, string>();
  const servedByPeer = new Map<string, number>();
  const refused: string[] = [];
  let trackerExited = false;
  for (const line of serveLog.split("\n")) {
    if (!line.startsWith("{") || !line.includes("fan-out")) continue;
    let entry: { msg?: string; peer?: string; address?: string; bytes?: number; reason?: string };
    try {
      entry = JSON.parse(line);
    } catch {
      continue;
    }
    const msg = entry.msg ?? "";
    if (msg.startsWith("fan-out tracker: announce refused")) refused.push(entry.reason ?? msg);
    else if (msg.startsWith("fan-out tracker: ") && entry.peer && entry.address && !joined.has(entry.peer)) joined.set(entry.peer, entry.address.replace(/:\d+$/, ""));
    else if (msg.startsWith("fan-out seeder: served ") && entry.peer && typeof entry.bytes === "number") servedByPeer.set(entry.peer, Math.max(servedByPeer.get(entry.peer) ?? 0, entry.bytes));
    else if (msg.startsWith("fan-out tracker exited")) trackerExited = true;
  }
  const servedByIp = new Map<string, number>();
  for (const [peer, bytes] of servedByPeer) {
    const ip = peer.replace(/:\d+$/, "");
    servedByIp.set(ip, (servedByIp.get(ip) ?? 0) + bytes);
  }
  return { joined, servedByIp, refused, trackerExited };
}
