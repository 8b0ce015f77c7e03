/**
 * @module charm/relations/database
 * The `database` endpoint (postgresql_client): the leader asks for a database; every unit
 * reads the endpoints and the user secret back and turns them into one PostgreSQL URL.
 */
import { isOrchestraError } from "../../lib/errors.ts";
import { relationGet, relationRemoteApp, relationSet, secretGet } from "../../lib/hookenv/index.ts";
import { liveRelationIds } from "./for-each-relation.ts";
import type { HookContext } from "../hook-context.ts";

const ENDPOINT = "database";
/** The database name Orchestra asks for. */
export const DATABASE_NAME = "orchestra";
const HOST_PORT = /^([A-Za-z0-9.-]+|\[[0-9a-fA-F:]+\]):([0-9]{1,5})$/;

/** What the provider published, checked; or why it is not usable yet. */
export type DatabaseInfo = { ok: true; url: string } | { ok: false; waiting?: string; blocked?: string };

/**
 * Reads a provider's app databag into a URL (a pure function, tested on its own).
 * `credentials` are the username/password from the secret or the databag.
 */
export function databaseUrlFrom(data: Record<string, string>, credentials: { username?: string; password?: string }, app: string): DatabaseInfo {
  const endpoints = data.endpoints;
  if (endpoints === undefined || endpoints === "") return { ok: false, waiting: `waiting for ${app} to publish database endpoints` };
  const primary = endpoints.split(",")[0]!.trim();
  const m = HOST_PORT.exec(primary);
  if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) return { ok: false, blocked: `database relation: ${app} published malformed endpoints "${endpoints.slice(0, 80)}"` };
  if (!credentials.username || !credentials.password) return { ok: false, waiting: `waiting for ${app} to publish database credentials` };
  const database = data.database || DATABASE_NAME;
  const url = `postgresql://${encodeURIComponent(credentials.username)}:${encodeURIComponent(credentials.password)}@${m[1]}:${m[2]}/${encodeURIComponent(database)}`;
  return { ok: true, url };
}

/** Asks for the database (leader) and returns its URL, or null with a fact recorded. */
export async function readDatabase(ctx: HookContext): Promise<string | null> {
  const ids = await liveRelationIds(ENDPOINT);
  const relationId = ids[0];
  if (relationId === undefined) return null;
  try {
    if (ctx.leader) {
      await relationSet({ database: DATABASE_NAME, "requested-secrets": JSON.stringify(["username", "password", "tls-ca", "uris"]) }, { relationId, app: true });
    }
    const app = await relationRemoteApp({ relationId });
    if (app === null) return null;
    const data = await relationGet(app, { relationId, app: true });
    let credentials: { username?: string; password?: string } = { ...(data.username ? { username: data.username } : {}), ...(data.password ? { password: data.password } : {}) };
    const secretId = data["secret-user"];
    if (secretId) {
      try {
        const content = await secretGet({ id: secretId }, { refresh: true });
        credentials = { ...(content.username ? { username: content.username } : {}), ...(content.password ? { password: content.password } : {}) };
      } catch (error) {
        if (!isOrchestraError(error)) throw error;
        ctx.facts.waiting.push(`cannot read the database secret from ${app} yet`);
        return null;
      }
    }
    const info = databaseUrlFrom(data, credentials, app);
    if (info.ok) return info.url;
    if (info.blocked) ctx.facts.blocked.push(info.blocked);
    if (info.waiting) ctx.facts.waiting.push(info.waiting);
    return null;
  } catch (error) {
    if (isOrchestraError(error, "RELATION_NOT_FOUND")) return null;
    throw error;
  }
}
