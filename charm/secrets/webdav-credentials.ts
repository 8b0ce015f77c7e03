/**
 * @module charm/secrets/webdav-credentials
 * The one user WebDAV clients authenticate as: an application secret (the same on every
 * unit, so any unit's nginx accepts it), granted to each webdav-storage relation.
 */
import { randomBytes } from "node:crypto";
import type { HookContext } from "../hook-context.ts";
import { applicationSecret, type SharedSecret } from "./application-secret.ts";

/** The secret's label. */
export const WEBDAV_CREDENTIALS_LABEL = "webdav-credentials";

/** WebDAV's user name and password. */
export interface WebdavCredentials {
  username: string;
  password: string;
  /** The secret's id, for granting it to relations (known to the leader). */
  secretId: string | null;
}

/** The credentials, created by the leader the first time; null (waiting) on another unit before that. */
export async function loadWebdavCredentials(ctx: HookContext): Promise<WebdavCredentials | null> {
  const secret: SharedSecret | null = await applicationSecret(ctx, WEBDAV_CREDENTIALS_LABEL, "WebDAV storage credentials", () => ({
    username: "orchestra",
    password: randomBytes(24).toString("base64url"),
  }));
  const { username, password } = secret?.content ?? {};
  if (!username || !password) {
    ctx.facts.waiting.push("waiting for the leader to create the WebDAV credentials");
    return null;
  }
  return { username, password, secretId: secret!.id };
}
