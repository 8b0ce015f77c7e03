/**
 * @module charm/actions/action-context
 * What an action handler gets, and the error it throws for a refusal the operator caused.
 */
import type { Host } from "../host/host.ts";
import type { WorkloadSettings } from "../workloads/workload.ts";
import type { ActionResult } from "../../lib/hookenv/index.ts";

/** The inputs of one action run. */
export interface ActionContext {
  params: Record<string, unknown>;
  host: Host;
  settings: WorkloadSettings;
}

/** An action handler: returns the results to action-set. */
export type ActionHandler = (ctx: ActionContext) => Promise<Record<string, ActionResult>>;

/** Words of a space-separated parameter, refusing an empty one. */
export function words(params: Record<string, unknown>, name: string): string[] {
  const value = params[name];
  const list = typeof value === "string" ? value.split(/\s+/).filter((w) => w !== "") : [];
  if (list.length === 0) throw new ActionRefused(`${name} is empty: give one or more space-separated values`);
  return list;
}

/** A refusal caused by the parameters: the action fails with this message, nothing ran. */
export class ActionRefused extends Error {
  override readonly name = "ActionRefused";
}
