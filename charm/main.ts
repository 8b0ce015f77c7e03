/**
 * @module charm/main
 * The charm's entry point, run by `dispatch` for every hook and action: parse the hook
 * environment, build the context, hand over to the hook or action handler.
 */
import { isOrchestraError } from "../lib/errors.ts";
import { isLeader, jujuLog, readHookEnvironment } from "../lib/hookenv/index.ts";
import { handleAction } from "./handle-action.ts";
import { handleHook } from "./handle-hook.ts";
import type { HookContext } from "./hook-context.ts";
import { createHost, type ServiceManagerKind } from "./host/host.ts";
import { resolveRuntime } from "./runtime.ts";
import { newFacts } from "./status.ts";

/** Runs one dispatch; resolves to the process exit code. */
export async function main(env: NodeJS.ProcessEnv = process.env): Promise<number> {
  try {
    const hookEnv = readHookEnvironment(env);
    const manager = env.ORCHESTRA_SERVICE_MANAGER;
    const ctx: HookContext = {
      env: hookEnv,
      // ORCHESTRA_CHARM_ROOT and ORCHESTRA_SERVICE_MANAGER exist for tests and containers.
      host: createHost({
        ...(env.ORCHESTRA_CHARM_ROOT ? { root: env.ORCHESTRA_CHARM_ROOT } : {}),
        ...(manager === "systemd" || manager === "direct" ? { serviceManager: manager as ServiceManagerKind } : {}),
      }),
      runtime: resolveRuntime(hookEnv.charmDir, env),
      leader: await isLeader(),
      config: null,
      settings: null,
      facts: newFacts(),
    };
    if (hookEnv.kind === "action") await handleAction(ctx);
    else await handleHook(ctx);
    return 0;
  } catch (error) {
    const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
    process.stderr.write(`orchestra charm: ${message}\n`);
    // Without hook tools there is no Juju log to write to; stderr is all there is.
    if (!isOrchestraError(error, "HOOK_TOOL_MISSING")) {
      await jujuLog(`hook failed: ${error instanceof Error ? error.message : String(error)}`, "ERROR").catch(() => undefined);
    }
    return 1;
  }
}

process.exitCode = await main();
