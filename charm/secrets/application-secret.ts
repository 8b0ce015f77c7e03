/**
 * @module charm/secrets/application-secret
 * Secrets every unit of the application shares (the WebDAV credentials, the EC2 sealing
 * key): the leader creates each once as an application-owned Juju secret; every unit reads
 * it by label. The leader also records its id in leader settings, so it can grant it to a
 * relation in a later hook (secret-grant takes ids, not labels).
 */
import { isOrchestraError } from "../../lib/errors.ts";
import { leaderGet, leaderSet, secretAdd, secretGet } from "../../lib/hookenv/index.ts";
import type { HookContext } from "../hook-context.ts";

/** A shared secret's id and content. */
export interface SharedSecret {
  id: string | null;
  content: Record<string, string>;
}

function idKey(label: string): string {
  return `${label}-secret-id`;
}

/** The id of the application secret `label`, as the leader recorded it (null before). */
export async function applicationSecretId(label: string): Promise<string | null> {
  return (await leaderGet())[idKey(label)] ?? null;
}

/**
 * The application secret `label`: read it, or (leader) create it from `make()`. A unit that
 * is not the leader and finds none gets null: the leader has not made it yet.
 */
export async function applicationSecret(ctx: HookContext, label: string, description: string, make: () => Record<string, string>): Promise<SharedSecret | null> {
  try {
    const content = await secretGet({ label }, { refresh: true });
    return { id: await applicationSecretId(label), content };
  } catch (error) {
    if (!isOrchestraError(error, "SECRET_NOT_FOUND")) throw error;
  }
  if (!ctx.leader) return null;
  const content = make();
  const id = await secretAdd(content, { label, description, owner: "application" });
  await leaderSet({ [idKey(label)]: id });
  return { id, content };
}
