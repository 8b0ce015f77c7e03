/**
 * @module charm/relations/cluster
 * The `cluster` peer endpoint: each unit publishes its address; several units share one
 * inventory only through PostgreSQL, so without the database relation they are blocked.
 */
import { relationList, relationSet } from "../../lib/hookenv/index.ts";
import type { HookContext } from "../hook-context.ts";
import { forEachRelation, liveRelationIds } from "./for-each-relation.ts";

const ENDPOINT = "cluster";

/** How many other units of this application there are. */
export async function peerCount(): Promise<number> {
  const id = (await liveRelationIds(ENDPOINT))[0];
  return id === undefined ? 0 : (await relationList({ relationId: id })).length;
}

/** Publishes this unit's address and checks the HA precondition. */
export async function reconcileCluster(ctx: HookContext): Promise<void> {
  const settings = ctx.settings;
  if (settings === null) return;
  await forEachRelation(ENDPOINT, async (relationId) => {
    await relationSet({ address: settings.address, "ec2-endpoint": `http://${settings.address}:${settings.config.ec2Port}/` }, { relationId });
  });
  const peers = await peerCount();
  // With the database related but not ready yet, the database step already says "waiting".
  if (peers > 0 && (await liveRelationIds("database")).length === 0) {
    ctx.facts.blocked.push(`${peers + 1} units share one inventory only through PostgreSQL: relate the database endpoint`);
  }
}
