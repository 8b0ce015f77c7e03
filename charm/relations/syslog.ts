/**
 * @module charm/relations/syslog
 * The `syslog` endpoint: where to send logs over TLS, with the CA to check the server by, and
 * (from the leader) a client certificate from the site CA for each application that sends
 * over TLS, as a Juju secret granted to its relation: a client needs one once rsyslog asks
 * for client certificates, and has one whichever way rsyslog is set.
 */
import { existsSync, readFileSync } from "node:fs";
import { isOrchestraError } from "../../lib/errors.ts";
import { ingressAddress, jujuLog, relationGet, relationList, relationRemoteApp, relationSet, secretAdd, secretGet, secretGrant, secretIds, secretRemove } from "../../lib/hookenv/index.ts";
import { issueClientCertificate } from "../../lib/pki/issue-certificate.ts";
import { parseSiteCa, siteCaPaths } from "../../lib/pki/site-ca.ts";
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

/** The protocols a related unit may publish: TLS, or plain tcp/udp (or none: plain). */
export const SYSLOG_PROTOCOLS = ["tcp+tls", "tcp", "udp"] as const;

/** Why a related unit's `protocol` is malformed (pure), or null when it is fine. */
export function syslogProtocolProblem(unit: string, data: Record<string, string>): string | null {
  const protocol = data.protocol;
  if (protocol === undefined || protocol === "" || (SYSLOG_PROTOCOLS as readonly string[]).includes(protocol)) return null;
  return `syslog relation: ${unit} published protocol "${protocol.slice(0, 40)}", not one of ${SYSLOG_PROTOCOLS.join(", ")}`;
}

/**
 * Checks what the related syslog units published; a malformed `protocol` goes into the
 * blocked facts (and then no file is written). Answers whether all of it was well formed.
 */
export async function checkSyslogRelations(ctx: HookContext): Promise<boolean> {
  let wellFormed = true;
  await forEachRelation("syslog", async (relationId) => {
    for (const unit of await relationList({ relationId })) {
      const problem = syslogProtocolProblem(unit, await relationGet(unit, { relationId }));
      if (problem !== null) {
        ctx.facts.blocked.push(problem);
        wellFormed = false;
      }
    }
  });
  return wellFormed;
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

/** The label of the client-certificate secret for one relation. */
export function clientCertificateLabel(relationId: string): string {
  return `syslog-client-${relationId.split(":").pop()}`;
}

/** Whether any unit on the relation sends over TLS. */
async function hasTlsClient(relationId: string): Promise<boolean> {
  for (const unit of await relationList({ relationId })) {
    if ((await relationGet(unit, { relationId })).protocol === "tcp+tls") return true;
  }
  return false;
}

/**
 * The client-certificate secret's id for a relation, issued from the site CA the first time
 * (null when it exists already: its id went into the app databag then).
 */
async function ensureClientCertificate(ctx: HookContext, dataDir: string, relationId: string, app: string): Promise<string | null> {
  const label = clientCertificateLabel(relationId);
  try {
    await secretGet({ label });
    return null;
  } catch (error) {
    if (!isOrchestraError(error, "SECRET_NOT_FOUND")) throw error;
  }
  const paths = siteCaPaths(dataDir);
  const caPem = readFileSync(ctx.host.path(paths.certFile), "utf8");
  const issued = issueClientCertificate(parseSiteCa(caPem, readFileSync(ctx.host.path(paths.keyFile), "utf8")), app);
  // "relation" lets relation-broken find the secret again by its content (secret-remove takes ids).
  return await secretAdd({ cert: issued.certPem, key: issued.keyPem, "ca-cert": caPem, relation: relationId }, { label, description: `syslog client certificate for ${app}` });
}

/**
 * The applications related over syslog that send over TLS: their client certificates (CN and
 * SAN = the application's name) are issued by the leader, so rsyslog must permit those names
 * beside the open instances'.
 */
export async function tlsClientApplications(): Promise<string[]> {
  const apps: string[] = [];
  await forEachRelation("syslog", async (relationId) => {
    if (!(await hasTlsClient(relationId))) return;
    const app = await relationRemoteApp({ relationId });
    if (app !== undefined && app !== null) apps.push(app);
  });
  return apps;
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
    if (!ctx.leader || !existsSync(caPath) || !(await hasTlsClient(relationId))) return;
    const app = (await relationRemoteApp({ relationId })) ?? "unknown";
    const secretId = await ensureClientCertificate(ctx, settings.dataDir, relationId, app);
    if (secretId === null) return;
    await secretGrant(secretId, relationId);
    await relationSet({ "client-cert-secret-id": secretId }, { relationId, app: true });
  });
}

/** On syslog-relation-broken: the leader removes that relation's client-certificate secret. */
export async function forgetSyslogClientCertificate(ctx: HookContext, relationId: string): Promise<void> {
  if (!ctx.leader) return;
  for (const id of await secretIds()) {
    const content = await secretGet({ id });
    if (content.relation !== relationId || content.cert === undefined) continue;
    await secretRemove(id);
    await jujuLog(`removed the syslog client certificate of ${relationId}`);
  }
}
