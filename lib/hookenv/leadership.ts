/**
 * @module hookenv/leadership
 * is-leader, leader-get and leader-set.
 */
import { runTool, runToolJson } from "./run-tool.ts";

/** Whether this unit is the application's leader right now. */
export async function isLeader(): Promise<boolean> {
  return (await runToolJson<boolean>(["is-leader", "--format=json"])) === true;
}

/** All leader settings. */
export async function leaderGet(): Promise<Record<string, string>> {
  return (await runToolJson<Record<string, string>>(["leader-get", "--format=json", "-"])) ?? {};
}

/**
 * Writes leader settings (leader only; immediate, not transactional). An empty value
 * deletes the key.
 */
export async function leaderSet(data: Record<string, string>): Promise<void> {
  const pairs = Object.entries(data).map(([k, v]) => `${k}=${v}`);
  if (pairs.length === 0) return;
  await runTool(["leader-set", ...pairs]);
}
