/**
 * @module hookenv/action
 * action-get, action-set, action-log and action-fail.
 */
import { runTool, runToolJson } from "./run-tool.ts";

/** A JSON value an action result may hold. */
export type ActionResult = string | number | boolean | null | { [key: string]: ActionResult } | ActionResult[];

/** The action's parameters, as validated by Juju against actions.yaml. */
export async function actionGet(): Promise<Record<string, unknown>> {
  return (await runToolJson<Record<string, unknown>>(["action-get", "--format=json"])) ?? {};
}

/** Flattens nested results to the dotted `a.b=c` keys action-set takes. */
export function flattenResults(results: Record<string, ActionResult>, prefix = ""): string[] {
  const pairs: string[] = [];
  for (const [key, value] of Object.entries(results)) {
    const dotted = prefix === "" ? key : `${prefix}.${key}`;
    if (value !== null && typeof value === "object" && !Array.isArray(value)) {
      pairs.push(...flattenResults(value, dotted));
    } else {
      // Juju results are strings; lists and scalars travel as JSON text.
      pairs.push(`${dotted}=${typeof value === "string" ? value : JSON.stringify(value)}`);
    }
  }
  return pairs;
}

/** Adds results to the running action (nested objects become dotted keys). */
export async function actionSet(results: Record<string, ActionResult>): Promise<void> {
  const pairs = flattenResults(results);
  if (pairs.length === 0) return;
  await runTool(["action-set", ...pairs]);
}

/** Streams a progress line to `juju run`'s caller. */
export async function actionLog(message: string): Promise<void> {
  await runTool(["action-log", "--", message]);
}

/** Marks the running action failed with a message; the hook itself still exits 0. */
export async function actionFail(message: string): Promise<void> {
  await runTool(["action-fail", "--", message]);
}
