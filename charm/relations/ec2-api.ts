/**
 * @module charm/relations/ec2-api
 * The `ec2-api` endpoint: the EC2-compatible endpoint URL and region for every related
 * application, and (from the leader) an access key for it as a Juju secret granted to it.
 */
import { isOrchestraError } from "../../lib/errors.ts";
import { ingressAddress, jujuLog, relationRemoteApp, relationSet, secretAdd, secretGet, secretGrant, secretIds, secretRemove } from "../../lib/hookenv/index.ts";
import type { HookContext } from "../hook-context.ts";
import { orchestraCli } from "../workloads/orchestra-cli.ts";
import { forEachRelation } from "./for-each-relation.ts";

const ENDPOINT = "ec2-api";

/** The label of the credential secret for one relation. */
export function credentialLabel(relationId: string): string {
  return `ec2-credential-${relationId.split(":").pop()}`;
}

/** An access key as `orchestra credentials create --json` prints it. */
interface AccessKey {
  accessKeyId: string;
  secretAccessKey: string;
}

function isAccessKey(value: unknown): value is AccessKey {
  const v = value as Partial<AccessKey> | null;
  return typeof v?.accessKeyId === "string" && typeof v.secretAccessKey === "string";
}

/** The credential secret's id for a relation, creating the key and secret the first time. */
async function ensureCredential(ctx: HookContext, relationId: string, account: string): Promise<string | null> {
  const label = credentialLabel(relationId);
  try {
    await secretGet({ label });
    // It exists: its id went into the relation's app databag when it was made.
    return null;
  } catch (error) {
    if (!isOrchestraError(error, "SECRET_NOT_FOUND")) throw error;
  }
  const key = await orchestraCli(ctx.host, ctx.settings!, ["credentials", "create", "--account", account]);
  if (!isAccessKey(key)) throw new Error("orchestra credentials create printed no access key");
  // "relation" lets relation-broken find the secret again by its content (secret-remove takes ids).
  return await secretAdd({ "access-key-id": key.accessKeyId, "secret-access-key": key.secretAccessKey, relation: relationId }, { label, description: `EC2 credential for ${account}` });
}

/** Publishes the endpoint on every relation and, as leader, the credential. */
export async function reconcileEc2Api(ctx: HookContext): Promise<void> {
  const settings = ctx.settings;
  if (settings === null) return;
  await forEachRelation(ENDPOINT, async (relationId) => {
    const address = await ingressAddress(ENDPOINT);
    const endpoint = `http://${address}:${settings.config.ec2Port}/`;
    await relationSet({ endpoint, region: settings.config.region }, { relationId });
    if (!ctx.leader) return;
    const app = (await relationRemoteApp({ relationId })) ?? "unknown";
    const data: Record<string, string> = { endpoint, region: settings.config.region };
    try {
      const secretId = await ensureCredential(ctx, relationId, app);
      if (secretId !== null) {
        await secretGrant(secretId, relationId);
        data["credential-secret-id"] = secretId;
      }
    } catch (error) {
      if (!isOrchestraError(error, "COMMAND_FAILED")) throw error;
      ctx.facts.waiting.push(`cannot issue an EC2 credential for ${app} yet (${error.message.slice(0, 120)})`);
    }
    await relationSet(data, { relationId, app: true });
  });
}

/**
 * On ec2-api-relation-broken: the leader revokes that relation's access key (best effort)
 * and removes its credential secret.
 */
export async function forgetEc2Credential(ctx: HookContext, relationId: string): Promise<void> {
  if (!ctx.leader || ctx.settings === null) return;
  for (const id of await secretIds()) {
    const content = await secretGet({ id });
    if (content.relation !== relationId) continue;
    try {
      await orchestraCli(ctx.host, ctx.settings, ["credentials", "revoke", content["access-key-id"] ?? ""]);
    } catch (error) {
      if (!isOrchestraError(error, "COMMAND_FAILED")) throw error;
      await jujuLog(`could not revoke access key ${content["access-key-id"]}: ${error.message}`, "WARNING");
    }
    await secretRemove(id);
    await jujuLog(`removed the EC2 credential of ${relationId}`);
  }
}
