/**
 * @module charm/workloads/rsyslog
 * rsyslog with rsyslog-gnutls: syslog over TLS from provisioned machines.
 */
import { mkdirSync } from "node:fs";
import { renderRsyslogConf } from "../render/rsyslog-conf.ts";
import { packagedService } from "./packaged-service.ts";
import { tlsMaterialFiles, tlsPaths } from "./tls-material.ts";

/** The syslog-over-TLS port (RFC 5425). */
export const SYSLOG_TLS_PORT = 6514;

/** The rsyslog component. */
export const rsyslog = packagedService({
  name: "rsyslog",
  service: { name: "rsyslog", foreground: ["rsyslogd", "-n", "-iNONE"] },
  packages: ["rsyslog", "rsyslog-gnutls"],
  ports: () => [`${SYSLOG_TLS_PORT}/tcp`],
  files: (host, settings) => {
    const paths = tlsPaths(settings.dataDir);
    return [
      // The certificate names this unit's address: re-issued (and rsyslog restarted) when it changes.
      ...tlsMaterialFiles(paths, settings.address, (p) => host.path(p)),
      { path: "/etc/rsyslog.d/60-orchestra.conf", content: renderRsyslogConf({ address: settings.config.listenAddress, port: SYSLOG_TLS_PORT, ...paths, logDir: "/var/log/orchestra/hosts" }) },
    ];
  },
  check: ["rsyslogd", "-N1"],
  reloadable: false,
  async prepare(host) {
    mkdirSync(host.path("/var/log/orchestra/hosts"), { recursive: true });
  },
});
