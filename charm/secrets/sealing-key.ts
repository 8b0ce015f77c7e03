/**
 * @module charm/secrets/sealing-key
 * The key EC2 secret keys are sealed with. Units of one application share one inventory
 * (PostgreSQL), so they must share this key too, or a credential made on one unit does not
 * open on another: the leader shares its key as an application secret; every unit writes
 * that key into its data directory.
 */
import { readFileSync } from "node:fs";
import { SECRET_KEY_FILE } from "../../lib/ec2/credentials/secret-box.ts";
import type { HookContext } from "../hook-context.ts";
import { ensureSealingKey } from "../workloads/orchestra.ts";
import { applicationSecret } from "./application-secret.ts";

/** The secret's label. */
export const SEALING_KEY_LABEL = "ec2-sealing-key";

/**
 * The application's sealing key: the leader's own (shared the first time), or on another
 * unit the one the leader shared; null (waiting) before the leader has shared it.
 */
export async function loadSealingKey(ctx: HookContext, dataDir: string): Promise<Buffer | null> {
  const secret = await applicationSecret(ctx, SEALING_KEY_LABEL, "the key EC2 secret keys are sealed with", () => {
    ensureSealingKey(ctx.host, dataDir);
    return { key: readFileSync(ctx.host.path(`${dataDir}/${SECRET_KEY_FILE}`)).toString("base64") };
  });
  const key = secret?.content.key ? Buffer.from(secret.content.key, "base64") : null;
  if (key === null || key.length !== 32) {
    ctx.facts.waiting.push("waiting for the leader to share the EC2 sealing key");
    return null;
  }
  return key;
}
