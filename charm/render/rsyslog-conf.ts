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
  /** The names (instance ids) whose certificates are honoured: the open instances. */
  permittedPeers: readonly string[];
}

/** A name no certificate from the site CA carries (`.invalid` is reserved): an empty list still has to name something. */
const NOBODY = "nobody.orchestra.invalid";

const PEER = /^[A-Za-z0-9.-]{1,253}$/;

/** The permitted peers a rendered file names (the last list the charm wrote), without the placeholder. */
export function permittedPeersIn(conf: string | undefined): string[] {
  const list = /PermittedPeer=\[([^\]]*)\]/.exec(conf ?? "")?.[1] ?? "";
  return [...list.matchAll(/"([^"]+)"/g)].map((m) => m[1]!).filter((p) => p !== NOBODY && PEER.test(p));
}

/** Renders /etc/rsyslog.d/60-orchestra.conf. */
export function renderRsyslogConf(input: RsyslogInput): string {
  for (const peer of input.permittedPeers) if (!PEER.test(peer)) throw new Error(`${JSON.stringify(peer)} is not a certificate name`);
  return [
    managedHeader().trimEnd(),
    `global(DefaultNetstreamDriverCAFile="${input.caFile}" DefaultNetstreamDriverCertFile="${input.certFile}" DefaultNetstreamDriverKeyFile="${input.keyFile}")`,
    // The TLS settings sit on the TLS input, not on the module: set on the module, the plain
    // tcp input on 514 inherits them and rsyslog refuses to open it ("authentication not
    // supported by ptcp netstream driver"), while udp on 514 keeps working.
    'module(load="imtcp")',
    `template(name="OrchestraPerHost" type="string" string="${input.logDir}/%HOSTNAME%.log")`,
    'ruleset(name="orchestra-remote") {',
    '  action(type="omfile" dynaFile="OrchestraPerHost")',
    "}",
    // Mutual TLS, as `serve --syslog-conf` does it (lib/managed/syslog-server-conf.ts): a client
    // must present a certificate from the site CA that names an open instance (or a related TLS
    // client application). rsyslog's gtls has no CRL option, so leaving this list is how a
    // terminated node's certificate is revoked. Clients check our certificate against the same
    // CA (the relation's ca-cert, the vendor-data).
    `input(type="imtcp"${input.address === "0.0.0.0" ? "" : ` address="${input.address}"`} port="${input.port}" ruleset="orchestra-remote" StreamDriver.Name="gtls" StreamDriver.Mode="1" StreamDriver.AuthMode="x509/name" PermittedPeer=[${(input.permittedPeers.length > 0 ? [...input.permittedPeers].sort() : [NOBODY]).map((p) => `"${p}"`).join(", ")}])`,
    ...(input.plainPort === null ? [] : [
      // rsyslog-forwarder-ha and its kind send plain RFC 3164/5424 lines: no TLS on this port.
      'module(load="imudp")',
      `input(type="imudp"${input.address === "0.0.0.0" ? "" : ` address="${input.address}"`} port="${input.plainPort}" ruleset="orchestra-remote")`,
      `input(type="imtcp"${input.address === "0.0.0.0" ? "" : ` address="${input.address}"`} port="${input.plainPort}" ruleset="orchestra-remote")`,
    ]),
    "",
  ].join("\n");
}
