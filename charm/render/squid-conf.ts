/**
 * @module charm/render/squid-conf
 * squid as an apt proxy (the role squid-deb-proxy had): a port of its own that caches
 * Debian/Ubuntu archive files for the provisioning subnet and the units related over
 * apt-proxy, and refuses everything else.
 */
import type { CharmConfig } from "../config/charm-config.ts";
import { managedHeader } from "./managed-header.ts";

/** What the squid drop-in is rendered from. */
export type SquidInput = Pick<CharmConfig, "aptProxyPort" | "provisioningSubnet" | "listenAddress"> & {
  /** Ingress addresses of the units related over apt-proxy (checked IPv4 addresses). */
  aptProxyClients: readonly string[];
};

/** Renders /etc/squid/conf.d/orchestra.conf. */
export function renderSquidConf(config: SquidInput): string {
  const sources = [
    ...(config.provisioningSubnet ? [`${config.provisioningSubnet.network}/${config.provisioningSubnet.prefix}`] : []),
    ...[...new Set(config.aptProxyClients)].sort().map((address) => `${address}/32`),
  ];
  const acl = sources.length > 0 ? [`acl orchestra_clients src ${sources.join(" ")}`] : [];
  return [
    managedHeader().trimEnd(),
    `http_port ${config.listenAddress === "0.0.0.0" ? "" : `${config.listenAddress}:`}${config.aptProxyPort}`,
    ...acl,
    "acl orchestra_port myport " + config.aptProxyPort,
    // Package files and archive indexes only: this port is an apt cache, not an open proxy.
    "acl orchestra_archive urlpath_regex \\.(deb|udeb|dsc|diff\\.gz|tar\\.(gz|xz|bz2))$",
    "acl orchestra_archive urlpath_regex /(Release|InRelease|Release\\.gpg|Packages|Sources|Translation-[^/]+|Contents-[^/]+|Components-[^/]+|icons-[^/]+)(\\.(gz|bz2|xz|lz4))?$",
    "acl orchestra_archive urlpath_regex /by-hash/",
    `http_access allow orchestra_port ${sources.length > 0 ? "orchestra_clients" : "localnet"} orchestra_archive`,
    "http_access deny orchestra_port",
    "maximum_object_size 1024 MB",
    "refresh_pattern \\.u?deb$ 129600 100% 129600",
    "refresh_pattern /(Release|InRelease|Packages|Sources)(\\.(gz|bz2|xz))?$ 0 20% 60 refresh-ims",
    // squid waits 30 s for clients on shutdown by default: the stop hook (and every restart) would too.
    "shutdown_lifetime 1 seconds",
    "",
  ].join("\n");
}
