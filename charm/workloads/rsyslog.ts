/**
 * @module charm/workloads/rsyslog
 * rsyslog with rsyslog-gnutls: syslog over TLS from provisioned machines.
 */
import { ensureDirectory, configValue } from "../host/file-access.ts";
import type { Host } from "../host/host.ts";
import { existsSync, readFileSync } from "node:fs";
import { permittedPeersIn, renderRsyslogConf } from "../render/rsyslog-conf.ts";
import { packagedService } from "./packaged-service.ts";
import { tlsMaterialFiles, tlsPaths } from "./tls-material.ts";

/** The syslog-over-TLS port (RFC 5425). */
export const SYSLOG_TLS_PORT = 6514;

/** Plain syslog (RFC 3164 over udp and tcp), where rsyslog-forwarder-ha sends. */
export const SYSLOG_PLAIN_PORT = 514;

/** The charm's rsyslog drop-in. */
const CONF_FILE = "/etc/rsyslog.d/60-orchestra.conf";

/** Where rsyslog writes one file per sending host. */
export const HOST_LOG_DIR = "/var/log/orchestra/hosts";

/**
 * The user and group rsyslogd runs as after start: Ubuntu's rsyslog.conf drops to `syslog`
 * ($PrivDropToUser / privdrop.user.name); Debian's stays root.
 */
export function rsyslogRunsAs(host: Host): { user: string; group: string } {
  const user = configValue(host, "/etc/rsyslog.conf", /^\s*\$PrivDropToUser\s+(\S+)/m) ?? configValue(host, "/etc/rsyslog.conf", /privdrop\.user\.name\s*=\s*"([^"]+)"/) ?? "root";
  const group = configValue(host, "/etc/rsyslog.conf", /^\s*\$PrivDropToGroup\s+(\S+)/m) ?? configValue(host, "/etc/rsyslog.conf", /privdrop\.group\.name\s*=\s*"([^"]+)"/) ?? user;
  return { user, group };
}

/** The rsyslog component. */
export const rsyslog = packagedService({
  name: "rsyslog",
  service: { name: "rsyslog", foreground: ["rsyslogd", "-n", "-iNONE"], triggers: ["syslog.socket"] },
  ownFiles: [CONF_FILE],
  packages: ["rsyslog", "rsyslog-gnutls"],
  ports: (_config, settings) => [`${SYSLOG_TLS_PORT}/tcp`, ...(settings?.syslogPlain ? [`${SYSLOG_PLAIN_PORT}/tcp`, `${SYSLOG_PLAIN_PORT}/udp`] : [])],
  files: (host, settings) => {
    const paths = tlsPaths(settings.dataDir);
    const { group } = rsyslogRunsAs(host);
    return [
      // The certificate names this unit's address and the syslog relation's (provisioned nodes
      // send to the one, related applications to the other): re-issued (and rsyslog restarted)
      // when either changes.
      // rsyslog opens its key after dropping root: the key is readable by its group, the CA key by root alone.
      ...tlsMaterialFiles(paths, [settings.address, ...(settings.syslogAddress === undefined ? [] : [settings.syslogAddress])], (p) => host.path(p)).map((f) => (f.path === paths.keyFile ? { ...f, mode: 0o640, group } : f)),
      {
        path: CONF_FILE,
        content: renderRsyslogConf({
          address: settings.config.listenAddress, port: SYSLOG_TLS_PORT, ...paths, logDir: HOST_LOG_DIR, plainPort: settings.syslogPlain ? SYSLOG_PLAIN_PORT : null,
          permittedPeers: settings.syslogPeers ?? permittedPeersIn(existsSync(host.path(CONF_FILE)) ? readFileSync(host.path(CONF_FILE), "utf8") : undefined),
        }),
      },
    ];
  },
  check: ["rsyslogd", "-N1"],
  reloadable: false,
  async prepare(host, settings) {
    const runsAs = rsyslogRunsAs(host);
    await ensureDirectory(host, HOST_LOG_DIR, { mode: 0o750, ...runsAs });
    await ensureDirectory(host, `${settings.dataDir}/tls`, { mode: 0o750, group: runsAs.group });
    // The site CA's directory (lib/pki): rsyslog reads ca.pem there; ca.key stays 0600 root.
    await ensureDirectory(host, `${settings.dataDir}/pki`, { mode: 0o755 });
  },
});
