/**
 * @module charm/workloads/squid
 * squid as the apt proxy of the provisioning network.
 */
import { renderSquidConf } from "../render/squid-conf.ts";
import { packagedService } from "./packaged-service.ts";

/** The squid component. */
export const squid = packagedService({
  name: "squid",
  service: { name: "squid", foreground: ["squid", "-N"] },
  packages: ["squid"],
  ownFiles: ["/etc/squid/conf.d/orchestra.conf"],
  ports: (config) => [`${config.aptProxyPort}/tcp`],
  files: (_host, settings) => [{ path: "/etc/squid/conf.d/orchestra.conf", content: renderSquidConf({ ...settings.config, aptProxyClients: settings.aptProxyClients }) }],
  check: ["squid", "-k", "parse"],
  reloadable: true,
});
