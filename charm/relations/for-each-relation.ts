/**
 * @module charm/relations/for-each-relation
 * Visits the live relations of an endpoint. A relation can vanish while a hook runs
 * (`relation not found`): that relation is skipped with a log line, the hook goes on.
 */
import { isOrchestraError } from "../../lib/errors.ts";
import { jujuLog, relationIds } from "../../lib/hookenv/index.ts";

/** Runs `visit` for every relation id of `endpoint`. */
export async function forEachRelation(endpoint: string, visit: (relationId: string) => Promise<void>): Promise<void> {
  for (const relationId of await relationIds(endpoint)) {
    try {
      await visit(relationId);
    } catch (error) {
      if (!isOrchestraError(error, "RELATION_NOT_FOUND")) throw error;
      await jujuLog(`relation ${relationId} went away during the hook; skipped`, "WARNING");
    }
  }
}
