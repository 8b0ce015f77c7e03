/**
 * @module charm/relations/metrics-endpoint
 * The `metrics-endpoint` endpoint (prometheus_scrape): the leader publishes the scrape job,
 * every unit its own address.
 */
import { relationSet } from "../../lib/hookenv/index.ts";
import type { HookContext } from "../hook-context.ts";
import { forEachRelation } from "./for-each-relation.ts";

/** The app databag a prometheus_scrape provider publishes (pure, tested on its own). */
export function scrapeAppData(input: { bootPort: number; model: string; modelUuid: string; app: string; unit: string }): Record<string, string> {
  return {
    // "*" tells Prometheus to scrape every unit at its published address.
    scrape_jobs: JSON.stringify([{ metrics_path: "/metrics", static_configs: [{ targets: [`*:${input.bootPort}`] }] }]),
    scrape_metadata: JSON.stringify({ model: input.model, model_uuid: input.modelUuid, application: input.app, unit: input.unit, charm_name: "orchestra" }),
  };
}

/** Publishes the scrape job and this unit's address. */
export async function reconcileMetricsEndpoint(ctx: HookContext): Promise<void> {
  const settings = ctx.settings;
  if (settings === null) return;
  await forEachRelation("metrics-endpoint", async (relationId) => {
    if (ctx.leader) {
      await relationSet(scrapeAppData({
        bootPort: settings.config.bootPort,
        model: ctx.env.modelName ?? "",
        modelUuid: ctx.env.modelUuid ?? "",
        app: ctx.env.appName,
        unit: ctx.env.unitName,
      }), { relationId, app: true });
    }
    await relationSet({ prometheus_scrape_unit_address: settings.address, prometheus_scrape_unit_name: ctx.env.unitName }, { relationId });
  });
}
