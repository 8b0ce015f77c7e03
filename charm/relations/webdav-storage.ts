/**
 * @module charm/relations/webdav-storage
 * The `webdav-storage` endpoint: where the storage is (unit data, from the simple
 * providers' table) and, from the leader, the credentials as a Juju secret granted to the
 * related application: its id goes in the app databag as `credentials-secret-id`, never
 * the password itself.
 */
import { relationSet, secretGrant } from "../../lib/hookenv/index.ts";
import type { HookContext } from "../hook-context.ts";
import { applicationSecretId } from "../secrets/application-secret.ts";
import { WEBDAV_CREDENTIALS_LABEL } from "../secrets/webdav-credentials.ts";
import { forEachRelation } from "./for-each-relation.ts";

/** Grants the WebDAV credentials to every webdav-storage relation (leader). */
export async function reconcileWebdavStorage(ctx: HookContext): Promise<void> {
  const settings = ctx.settings;
  if (settings === null || !ctx.leader || settings.webdavCredentials === null) return;
  const secretId = await applicationSecretId(WEBDAV_CREDENTIALS_LABEL);
  if (secretId === null) return;
  await forEachRelation("webdav-storage", async (relationId) => {
    await secretGrant(secretId, relationId);
    await relationSet({ "credentials-secret-id": secretId }, { relationId, app: true });
  });
}
