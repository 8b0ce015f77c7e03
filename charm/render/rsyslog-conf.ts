/**
 * @module charm/render/rsyslog-conf
 * rsyslog receiving syslog over mutual TLS (RFC 5425, port 6514) from provisioned machines,
 * one log file per sending host; plain syslog on 514 only for forwarders that have no TLS.
 */
import { managedHeader } from "./managed-header.ts";

/** Where the TLS material lives, and the port. */
export interface RsyslogInput {
  /** The address to listen on (0.0.0.0 for all). */
  address: string;
  port: number;
  caFile: string;
  certFile: string;
  keyFile: string;
  logDir: string;
  /** Also accept plain syslog on this port (udp and tcp), for forwarders without TLS; null for none. */
  plainPort: number | null;
}

/** Renders /etc/rsyslog.d/60-orchestra.conf. */
export function renderRsyslogConf(input: RsyslogInput): string {
  return [
    managedHeader().trimEnd(),
    `global(DefaultNetstreamDriver="gtls" DefaultNetstreamDriverCAFile="${input.caFile}" DefaultNetstreamDriverCertFile="${input.certFile}" DefaultNetstreamDriverKeyFile="${input.keyFile}")`,
    // Mutual TLS: a client must present a certificate from the site CA (a deployed node's own,
    // lib/pki); a client without one, or with one from another CA, is refused. Clients check our
    // certificate against the same CA (the syslog relation's ca-cert, the nodes' vendor-data).
    'module(load="imtcp" StreamDriver.Name="gtls" StreamDriver.Mode="1" StreamDriver.AuthMode="x509/certvalid")',
    `template(name="OrchestraPerHost" type="string" string="${input.logDir}/%HOSTNAME%.log")`,
    'ruleset(name="orchestra-remote") {',
    '  action(type="omfile" dynaFile="OrchestraPerHost")',
    "}",
    `input(type="imtcp"${input.address === "0.0.0.0" ? "" : ` address="${input.address}"`} port="${input.port}" ruleset="orchestra-remote")`,
    ...(input.plainPort === null ? [] : [
      // rsyslog-forwarder-ha and its kind send plain RFC 3164/5424 lines: no TLS on this port.
      'module(load="imudp")',
      `input(type="imudp"${input.address === "0.0.0.0" ? "" : ` address="${input.address}"`} port="${input.plainPort}" ruleset="orchestra-remote")`,
      `input(type="imtcp"${input.address === "0.0.0.0" ? "" : ` address="${input.address}"`} port="${input.plainPort}" ruleset="orchestra-remote" StreamDriver.Name="ptcp" StreamDriver.Mode="0")`,
    ]),
    "",
  ].join("\n");
}
