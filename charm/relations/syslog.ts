/**
 * @module charm/relations/syslog
 * The `syslog` endpoint: where to send logs over TLS, with the CA to check the server by.
 */
import { existsSync, readFileSync } from "node:fs";
import { ingressAddress, relationGet, relationList, relationRemoteApp, relationSet } from "../../lib/hookenv/index.ts";
import type { CharmConfig } from "../config/charm-config.ts";
import type { HookContext } from "../hook-context.ts";
import { SYSLOG_TLS_PORT } from "../workloads/rsyslog.ts";
import { tlsPaths } from "../workloads/tls-material.ts";
import { forEachRelation } from "./for-each-relation.ts";

/**
 * Whether a related unit is a plain forwarder (pure): a TLS client says `protocol=tcp+tls`
 * in its unit data; rsyslog-forwarder-ha publishes nothing but Juju's own addresses.
 */
export function isPlainForwarder(data: Record<string, string>): boolean {
  return data.protocol === undefined || data.protocol === "" || data.protocol === "udp" || data.protocol === "tcp";
}

/**
 * Whether rsyslog should listen for plain syslog on 514: the option is on and a plain
 * forwarder is related. With the option off, a plain forwarder is named in the status.
 */
export async function wantsPlainSyslog(ctx: HookContext, config: CharmConfig): Promise<boolean> {
  if (!config.components.includes("rsyslog")) return false;
  const plainApps = new Set<string>();
  await forEachRelation("syslog", async (relationId) => {
    for (const unit of await relationList({ relationId })) {
      if (isPlainForwarder(await relationGet(unit, { relationId }))) plainApps.add((await relationRemoteApp({ relationId })) ?? unit);
    }
  });
  if (plainApps.size === 0) return false;
  if (!config.syslogPlainListener) {
    ctx.facts.notes.push(`${[...plainApps].sort().join(", ")} forward plain syslog: set syslog-plain-listener=true to accept it on 514`);
    return false;
  }
  return true;
}

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
