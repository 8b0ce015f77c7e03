/**
 * @module managed/syslog-peers
 * Keeps the TLS syslog server's configuration in step with the deployed nodes: its server
 * certificate from the site CA (renewed before expiry), and the permitted peers (the open
 * instances). When the rendered text changes (a node deployed, an instance terminated, a
 * certificate renewed) it is written atomically and rsyslog is restarted, since rsyslog reads
 * its TLS settings only at start. That restart is how a terminated node's certificate stops
 * working (docs/managed-nodes.md).
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { writeFileAtomic } from "../files/write-file-atomic.ts";
import { needsRenewal, issueServerCertificate } from "../pki/issue-certificate.ts";
import { activeNodeNames } from "../pki/node-credentials.ts";
import { siteCaPaths, type SiteCa } from "../pki/site-ca.ts";
import type { SqlDatabase } from "../store/sql-database.ts";
import { renderSyslogServerConf } from "./syslog-server-conf.ts";

/** Where and how the syslog server runs. */
export interface SyslogPeersSettings {
  readonly db: SqlDatabase;
  readonly ca: SiteCa;
  readonly dataDir: string;
  /** The address nodes reach the server at (its certificate names it) and the port. */
  readonly address: string;
  readonly port: number;
  /** The address rsyslog listens on (default 0.0.0.0, all). */
  readonly listen?: string;
  /** rsyslog's work directory, when not its default. */
  readonly workDirectory?: string;
  /** The rsyslog configuration file to own, e.g. /etc/rsyslog.d/60-orchestra.conf. */
  readonly confFile: string;
  readonly logDir: string;
  /** Restart rsyslog after the file changed. */
  readonly restart: () => Promise<void>;
  readonly now?: () => Date;
}

/** One pass: renew the server certificate if due, re-render, and restart rsyslog if anything changed. Answers whether it did. */
export async function syncSyslogPeers(settings: SyslogPeersSettings): Promise<boolean> {
  const now = (settings.now ?? (() => new Date()))();
  const certFile = join(settings.dataDir, "pki", "syslog.pem");
  const keyFile = join(settings.dataDir, "pki", "syslog.key");
  let changed = false;
  const current = await readFile(certFile, "utf8").catch(() => undefined);
  if (needsRenewal(current, settings.ca, [settings.address], now)) {
    const issued = issueServerCertificate(settings.ca, [settings.address], now);
    await writeFileAtomic(keyFile, issued.keyPem, 0o600);
    await writeFileAtomic(certFile, issued.certPem, 0o644);
    changed = true;
  }
  const text = renderSyslogServerConf({
    address: settings.listen ?? "0.0.0.0", port: settings.port, ...(settings.workDirectory ? { workDirectory: settings.workDirectory } : {}), caFile: siteCaPaths(settings.dataDir).certFile, certFile, keyFile, logDir: settings.logDir,
    permittedPeers: await activeNodeNames(settings.db),
  });
  if ((await readFile(settings.confFile, "utf8").catch(() => undefined)) !== text) {
    await writeFileAtomic(settings.confFile, text, 0o644);
    changed = true;
  }
  if (changed) await settings.restart();
  return changed;
}
