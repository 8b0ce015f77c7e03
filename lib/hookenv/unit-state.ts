/**
 * @module hookenv/unit-state
 * state-get, state-set and state-delete: per-unit key/value state kept by the controller,
 * committed only when the hook succeeds.
 */
import { runTool, runToolJson } from "./run-tool.ts";

/** All of this unit's stored state. */
export async function stateGet(): Promise<Record<string, string>> {
  return (await runToolJson<Record<string, string>>(["state-get", "--format=json"])) ?? {};
}

/** One stored value, or null. */
export async function stateGetKey(key: string): Promise<string | null> {
  return (await runToolJson<string | null>(["state-get", "--format=json", key])) ?? null;
}

/** Merges values into this unit's stored state. */
export async function stateSet(data: Record<string, string>): Promise<void> {
  await runTool(["state-set", "--file", "-"], { input: JSON.stringify(data) });
}

/** Deletes one key from this unit's stored state. */
export async function stateDelete(key: string): Promise<void> {
  await runTool(["state-delete", key]);
}
