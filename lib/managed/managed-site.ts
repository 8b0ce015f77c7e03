/**
 * @module managed/managed-site
 * Assembles what `orchestra serve` needs to make deployed nodes managed: the site CA, each
 * node's setup, and the background jobs that keep GitHub's parts fresh (puppet environments,
 * gh: users' SSH keys). Their state is written to `<data dir>/managed-status.json` for the
 * charm's status and operators, as well as to the log.
 */
import { join } from "node:path";
import { writeFileAtomic } from "../files/write-file-atomic.ts";
import { EnvironmentSync, type SyncLogger, type SyncStatus } from "../github/environment-sync.ts";
import { githubClient, type GithubSettings } from "../github/github-client.ts";
import { GithubKeyImport, parseSshKeyEntries, type UserKeyStatus } from "../github/ssh-key-import.ts";
import { NODE_CERTIFICATE_PATH } from "../metadata/metadata-service.ts";
import { renewNodeCertificate, type RenewedCertificate } from "../pki/renew-node-certificate.ts";
import { loadOrCreateSiteCa } from "../pki/site-ca.ts";
import type { SqlDatabase } from "../store/sql-database.ts";
import { nodeSetup, type NodeSetup } from "./node-setup.ts";
import { syncSyslogPeers } from "./syslog-peers.ts";

/** The site's managed-node settings; every part is optional. */
export interface ManagedSiteSettings {
  readonly dataDir: string;
  readonly aptProxyUrl?: string;
  readonly syslog?: { readonly host: string; readonly port: number };
  readonly puppetServer?: string;
  /** The `ssh-keys` setting: OpenSSH key lines and gh:USER entries. */
  readonly sshKeys?: string;
  readonly github?: GithubSettings;
  /** Puppet environments from GitHub. */
  readonly puppetEnvironments?: { readonly repository: string; readonly branchPattern: string; readonly codeDir: string };
  /** Own the TLS syslog server's rsyslog configuration (needs `syslog`): the permitted peers follow the open instances. */
  readonly syslogServer?: { readonly db: SqlDatabase; readonly confFile: string; readonly logDir: string; readonly restart: () => Promise<void> };
  /** The boot listener's URL as nodes reach it (http://HOST:5248): nodes renew their certificate there. */
  readonly metadataUrl?: string;
  /** Seconds between two refreshes of GitHub's parts. */
  readonly refreshSeconds: number;
  readonly logger: SyncLogger;
}

/** A job the server runs periodically. */
export interface BackgroundJob {
  readonly name: string;
  readonly intervalMs: number;
  run(): Promise<void>;
}

/** How often the syslog server's permitted peers are brought in line with the open instances. */
export const SYSLOG_PEERS_INTERVAL_MS = 10_000;

/** Where the managed parts' state is written. */
export const MANAGED_STATUS_FILE = "managed-status.json";

/** The site: node setup for RunInstances and the jobs to run. Creates the CA on first use. */
export async function openManagedSite(settings: ManagedSiteSettings): Promise<{ nodeSetup: NodeSetup; jobs: BackgroundJob[]; renewNodeCertificate?: (db: SqlDatabase, instanceId: string, csrPem: string) => Promise<RenewedCertificate> }> {
  const ca = await loadOrCreateSiteCa(settings.dataDir);
  const octokit = githubClient(settings.github ?? {});
  const entries = settings.sshKeys === undefined ? [] : parseSshKeyEntries(settings.sshKeys);
  const keyImport = new GithubKeyImport({ octokit, cacheFile: join(settings.dataDir, "github-keys.json"), refreshSeconds: settings.refreshSeconds, logger: settings.logger });
  // Literal keys are there from the start; gh: users' join once the first refresh has run.
  let keys: readonly string[] = entries.flatMap((e) => (e.kind === "key" ? [e.openssh] : []));
  const environments = settings.puppetEnvironments === undefined ? undefined : new EnvironmentSync({ octokit, ...settings.puppetEnvironments, logger: settings.logger });
  const state: { environments?: SyncStatus; sshKeys?: UserKeyStatus[] } = {};
  const writeStatus = () => writeFileAtomic(join(settings.dataDir, MANAGED_STATUS_FILE), `${JSON.stringify(state, null, 2)}\n`);
  const jobs: BackgroundJob[] = [];
  if (entries.some((e) => e.kind === "github")) {
    jobs.push({
      name: "GitHub SSH keys",
      intervalMs: settings.refreshSeconds * 1000,
      async run() {
        keys = await keyImport.resolve(entries);
        state.sshKeys = keyImport.status();
        await writeStatus();
      },
    });
  }
  if (environments !== undefined) {
    jobs.push({
      name: "puppet environments",
      intervalMs: settings.refreshSeconds * 1000,
      async run() {
        state.environments = await environments.sync();
        await writeStatus();
      },
    });
  }
  if (settings.syslogServer !== undefined && settings.syslog !== undefined) {
    const peers = { ...settings.syslogServer, ca, dataDir: settings.dataDir, address: settings.syslog.host, port: settings.syslog.port };
    // Often: a terminated node's certificate stops working at the next pass.
    jobs.push({ name: "syslog peers", intervalMs: SYSLOG_PEERS_INTERVAL_MS, run: async () => void (await syncSyslogPeers(peers)) });
  }
  const setup = nodeSetup({
    ca,
    ...(settings.aptProxyUrl === undefined ? {} : { aptProxyUrl: settings.aptProxyUrl }),
    ...(settings.syslog === undefined ? {} : { syslog: settings.syslog }),
    ...(settings.puppetServer === undefined ? {} : { puppetServer: settings.puppetServer }),
    ...(entries.length === 0 ? {} : { sshKeys: () => keys }),
    // Renewal is for the syslog certificate (puppet's agent keeps its own, from puppetserver).
    ...(settings.metadataUrl === undefined || settings.syslog === undefined ? {} : { certificateRenewalUrl: `${settings.metadataUrl.replace(/\/$/, "")}${NODE_CERTIFICATE_PATH}` }),
  });
  if (settings.syslog === undefined && settings.puppetServer === undefined) return { nodeSetup: setup, jobs };
  return { nodeSetup: setup, jobs, renewNodeCertificate: (db, instanceId, csrPem) => renewNodeCertificate(db, ca, instanceId, csrPem) };
}
