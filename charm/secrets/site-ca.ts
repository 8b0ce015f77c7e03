/**
 * @module charm/secrets/site-ca
 * The site CA (lib/pki) shared by every unit of the application: node certificates minted on
 * one unit must be trusted by the rsyslog and services of every other. The leader shares its
 * CA (made here if it has none, before any component needs it, so one hook converges) as an
 * application-owned Juju secret; every unit writes it into `<data dir>/pki` (key 0600).
 */
import { existsSync, readFileSync } from "node:fs";
import { createSiteCa, parseSiteCa, siteCaPaths } from "../../lib/pki/site-ca.ts";
import type { HookContext } from "../hook-context.ts";
import { ensureDirectory } from "../host/file-access.ts";
import { writeFileAtomic } from "../host/write-file-atomic.ts";
import { applicationSecret } from "./application-secret.ts";

/** The secret's label. */
export const SITE_CA_LABEL = "site-ca";

/** This unit's CA files (made when there are none). */
function ownCa(ctx: HookContext, dataDir: string): { cert: string; key: string } {
  const { certFile, keyFile } = siteCaPaths(dataDir);
  if (existsSync(ctx.host.path(certFile)) && existsSync(ctx.host.path(keyFile))) {
    return { cert: readFileSync(ctx.host.path(certFile), "utf8"), key: readFileSync(ctx.host.path(keyFile), "utf8") };
  }
  const ca = createSiteCa();
  return { cert: ca.certPem, key: ca.keyPem };
}

/**
 * Put the application's CA in this unit's data directory: the leader's own (shared the first
 * time), or on another unit the one the leader shared. Answers whether the files changed;
 * before the leader has shared it, the unit waits.
 */
export async function loadSiteCa(ctx: HookContext, dataDir: string): Promise<boolean> {
  await ensureDirectory(ctx.host, `${dataDir}/pki`, { mode: 0o755 });
  const secret = await applicationSecret(ctx, SITE_CA_LABEL, "the site CA: signs the services' and the deployed nodes' certificates", () => ownCa(ctx, dataDir));
  if (!secret?.content.cert || !secret.content.key) {
    ctx.facts.waiting.push("waiting for the leader to share the site CA");
    return false;
  }
  // Refuse a secret whose key is not its certificate's rather than write a broken CA.
  parseSiteCa(secret.content.cert, secret.content.key);
  const { certFile, keyFile } = siteCaPaths(dataDir);
  // The key first: a certificate is never on disk without it.
  const keyChanged = writeFileAtomic(ctx.host.path(keyFile), secret.content.key, 0o600);
  const certChanged = writeFileAtomic(ctx.host.path(certFile), secret.content.cert, 0o644);
  return keyChanged || certChanged;
}
