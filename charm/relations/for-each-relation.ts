/**
 * @module charm/relations/for-each-relation
 * Visits the live relations of an endpoint. A relation can vanish while a hook runs
 * (`relation not found`): that relation is skipped with a log line, the hook goes on.
 */
import { isOrchestraError } from "../../lib/errors.ts";
import { jujuLog, parseRelationHook, relationIds } from "../../lib/hookenv/index.ts";

/**
 * The relation ids of `endpoint` without the one this hook breaks: Juju 3.6 no longer lists
 * it during relation-broken, but 3.1-3.5 do, and writing to it there fails the hook.
 */
export async function liveRelationIds(endpoint: string, env: NodeJS.ProcessEnv = process.env): Promise<string[]> {
  const ids = await relationIds(endpoint);
  const hook = parseRelationHook(env.JUJU_HOOK_NAME ?? "");
  const broken = hook?.event === "broken" ? env.JUJU_RELATION_ID : undefined;
  return broken === undefined ? ids : ids.filter((id) => id !== broken);
}

/** Runs `visit` for every live relation id of `endpoint`. */
export async function forEachRelation(endpoint: string, visit: (relationId: string) => Promise<void>): Promise<void> {
  for (const relationId of await liveRelationIds(endpoint)) {
    try {
      await visit(relationId);
    } catch (error) {
      if (!isOrchestraError(error, "RELATION_NOT_FOUND")) throw error;
      await jujuLog(`relation ${relationId} went away during the hook; skipped`, "WARNING");
    }
  }
}
