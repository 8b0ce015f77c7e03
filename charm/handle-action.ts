/**
 * @module charm/handle-action
 * Runs one action: validated config, the handler, results or a failure message. A failed
 * action never puts the unit in error.
 */
import { isOrchestraError } from "../lib/errors.ts";
import { actionFail, actionGet, actionSet, jujuLog } from "../lib/hookenv/index.ts";
import { ACTIONS } from "./actions/action-table.ts";
import { ActionRefused } from "./actions/action-context.ts";
import type { HookContext } from "./hook-context.ts";
import { loadConfig, loadSettings } from "./reconcile.ts";

/** Runs the action named by the hook environment. */
export async function handleAction(ctx: HookContext): Promise<void> {
  const handler = ACTIONS[ctx.env.name];
  if (handler === undefined) {
    await actionFail(`unknown action ${ctx.env.name}`);
    return;
  }
  await loadConfig(ctx);
  await loadSettings(ctx);
  if (ctx.settings === null) {
    await actionFail(ctx.facts.blocked.join("; ") || "the charm is not configured yet");
    return;
  }
  try {
    await actionSet(await handler({ params: await actionGet(), host: ctx.host, settings: ctx.settings }));
  } catch (error) {
    if (error instanceof ActionRefused || isOrchestraError(error, "COMMAND_FAILED")) {
      await jujuLog(`${ctx.env.name}: ${error.message}`, "WARNING");
      await actionFail(error.message);
      return;
    }
    throw error;
  }
}
