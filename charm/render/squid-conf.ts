/**
 * @module charm/render/squid-conf
 * squid as an apt proxy (the role squid-deb-proxy had): a port of its own that caches
 * Debian/Ubuntu archive files for the provisioning subnet and refuses everything else.
 */
import type { CharmConfig } from "../config/charm-config.ts";
import { managedHeader } from "./managed-header.ts";

/** Renders /etc/squid/conf.d/orchestra.conf. */
export function renderSquidConf(config: Pick<CharmConfig, "aptProxyPort" | "provisioningSubnet" | "listenAddress">): string {
  const clients = config.provisioningSubnet ? `${config.provisioningSubnet.network}/${config.provisioningSubnet.prefix}` : "localnet";
  const acl = config.provisioningSubnet ? [`acl orchestra_clients src ${clients}`] : [];
  return [
    managedHeader().trimEnd(),
    `http_port ${config.listenAddress === "0.0.0.0" ? "" : `${config.listenAddress}:`}${config.aptProxyPort}`,
    ...acl,
    "acl orchestra_port myport " + config.aptProxyPort,
    // Package files and archive indexes only: this port is an apt cache, not an open proxy.
    "acl orchestra_archive urlpath_regex \\.(deb|udeb|dsc|diff\\.gz|tar\\.(gz|xz|bz2))$",
    "acl orchestra_archive urlpath_regex /(Release|InRelease|Release\\.gpg|Packages|Sources|Translation-[^/]+|Contents-[^/]+|Components-[^/]+|icons-[^/]+)(\\.(gz|bz2|xz|lz4))?$",
    "acl orchestra_archive urlpath_regex /by-hash/",
    `http_access allow orchestra_port ${config.provisioningSubnet ? "orchestra_clients" : "localnet"} orchestra_archive`,
    "http_access deny orchestra_port",
    "maximum_object_size 1024 MB",
    "refresh_pattern \\.u?deb$ 129600 100% 129600",
    "refresh_pattern /(Release|InRelease|Packages|Sources)(\\.(gz|bz2|xz))?$ 0 20% 60 refresh-ims",
    "",
  ].join("\n");
}
