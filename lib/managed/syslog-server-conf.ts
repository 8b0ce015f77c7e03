/**
 * @module managed/syslog-server-conf
 * rsyslog receiving syslog over mutual TLS (RFC 5425) from deployed nodes: the server shows
 * its certificate from the site CA, and accepts a client only when its certificate is from
 * that CA and names a node that is deployed now (StreamDriver.PermittedPeers, x509/name).
 * Debian's rsyslog 8.2302 has no CRL option for gtls, so the permitted list is the
 * revocation: when an instance ends, it leaves the list and rsyslog is restarted with the
 * new config. Pure renderer; the charm and the lab write it.
 */

/** What the syslog server needs. */
export interface SyslogServerInput {
  /** The address to listen on (0.0.0.0 for all). */
  readonly address: string;
  readonly port: number;
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
  /** One file per sending host under here. */
  readonly logDir: string;
  /** The names (instance ids) whose certificates are honoured; null accepts any certificate from the CA. */
  readonly permittedPeers: readonly string[] | null;
  /** rsyslog's work directory (its own state); left to rsyslog's default when absent. */
  readonly workDirectory?: string;
}

/** A name no certificate from the site CA carries (`.invalid` is reserved): an empty list still has to name something. */
const NOBODY = "nobody.orchestra.invalid";

const NAME = /^[A-Za-z0-9.-]{1,253}$/;

/** Renders the rsyslog configuration (e.g. /etc/rsyslog.d/60-orchestra.conf). */
export function renderSyslogServerConf(input: SyslogServerInput): string {
  for (const peer of input.permittedPeers ?? []) if (!NAME.test(peer)) throw new Error(`${JSON.stringify(peer)} is not a certificate name`);
  const auth = input.permittedPeers === null
    ? 'StreamDriver.AuthMode="x509/certvalid"'
    : `StreamDriver.AuthMode="x509/name" PermittedPeer=[${(input.permittedPeers.length > 0 ? input.permittedPeers : [NOBODY]).map((p) => `"${p}"`).join(", ")}]`;
  return [
    "# Managed by Orchestra; changes are overwritten.",
    ...(input.workDirectory === undefined ? [] : [`global(workDirectory="${input.workDirectory}")`]),
    `global(DefaultNetstreamDriver="gtls" DefaultNetstreamDriverCAFile="${input.caFile}" DefaultNetstreamDriverCertFile="${input.certFile}" DefaultNetstreamDriverKeyFile="${input.keyFile}")`,
    `module(load="imtcp" StreamDriver.Name="gtls" StreamDriver.Mode="1" ${auth})`,
    `template(name="OrchestraPerHost" type="string" string="${input.logDir}/%HOSTNAME%.log")`,
    'ruleset(name="orchestra-remote") {',
    '  action(type="omfile" dynaFile="OrchestraPerHost")',
    "}",
    `input(type="imtcp"${input.address === "0.0.0.0" ? "" : ` address="${input.address}"`} port="${input.port}" ruleset="orchestra-remote")`,
    "",
  ].join("\n");
}
