/**
 * @module charm/relations/syslog
 * The `syslog` endpoint: where to send logs over TLS, with the CA to check the server by.
 */
import { existsSync, readFileSync } from "node:fs";
import { ingressAddress, relationSet } from "../../lib/hookenv/index.ts";
import type { HookContext } from "../hook-context.ts";
import { SYSLOG_TLS_PORT } from "../workloads/rsyslog.ts";
import { tlsPaths } from "../workloads/tls-material.ts";
import { forEachRelation } from "./for-each-relation.ts";

/** Publishes the syslog target on every syslog relation. */
export async function reconcileSyslog(ctx: HookContext): Promise<void> {
  const settings = ctx.settings;
  if (settings === null) return;
  await forEachRelation("syslog", async (relationId) => {
    if (!settings.config.components.includes("rsyslog")) {
      ctx.facts.notes.push("syslog is related but rsyslog is not in components");
      return;
    }
    const caPath = ctx.host.path(tlsPaths(settings.dataDir).caFile);
    const address = await ingressAddress("syslog");
    await relationSet({
      host: address,
      port: String(SYSLOG_TLS_PORT),
      protocol: "tcp+tls",
      "ca-cert": existsSync(caPath) ? readFileSync(caPath, "utf8") : "",
    }, { relationId });
  });
}
