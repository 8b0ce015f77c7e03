/**
 * What the integration tests share: the packed charm (packed once per test file, as
 * `npm run pack:charm` does), the harness with one apt repository for every file (the charm's
 * packages plus what the counterpart units install), and small waiting helpers. Timings are
 * printed, never asserted.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { packCharm } from "../../charm/pack/pack-cli.ts";
import { UnitHarness } from "../../lib/testing/units/index.ts";

export const repoRoot = resolve(import.meta.dirname, "..", "..");

/**
 * Every package a unit in these tests installs: the charm's components (charm/workloads/*.ts)
 * first. One list for every file, so they all share one cached repository.
 */
export const UNIT_PACKAGES = [
  "dnsmasq", "ipxe", "squid", "rsyslog", "rsyslog-gnutls", "puppetserver", "nginx", "libnginx-mod-http-dav-ext",
  // The counterpart unit of relations.test.ts: a real Prometheus scraping over
  // metrics-endpoint, curl as a WebDAV client (rsyslog-gnutls, above, forwards over TLS).
  "prometheus", "curl",
  // The database relation's counterpart (tests/integration/database.test.ts): Debian's PostgreSQL.
  "postgresql",
] as const;

/** The packed charm in a temp dir, and how to remove it. */
export async function packedCharm(): Promise<{ file: string; remove: () => void }> {
  const dir = mkdtempSync(join(tmpdir(), "orchestra-packed-"));
  const file = join(dir, "orchestra.charm");
  await packCharm(repoRoot, file);
  return { file, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Starts the harness over the shared root and repository. */
export async function startHarness(): Promise<UnitHarness> {
  return await UnitHarness.start({ packages: UNIT_PACKAGES });
}

/** Retries `attempt` until it resolves or `timeoutMs` has passed (then its last error). */
export async function retryFor<T>(timeoutMs: number, attempt: () => Promise<T>, everyMs = 500): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(everyMs);
    }
  }
}

/** Seconds since `started` (a Date.now()), one decimal. */
export function secondsSince(started: number): number {
  return Math.round((Date.now() - started) / 100) / 10;
}
