/**
 * @module charm/workloads/dnsmasq
 * dnsmasq: DHCP or proxy-DHCP and TFTP on the provisioning network.
 */
import { mkdirSync } from "node:fs";
import { renderDnsmasqConf } from "../render/dnsmasq-conf.ts";
import { packagedService } from "./packaged-service.ts";

/** The dnsmasq component. */
export const dnsmasq = packagedService({
  name: "dnsmasq",
  service: { name: "dnsmasq", foreground: ["dnsmasq", "--keep-in-foreground"] },
  packages: ["dnsmasq", "ipxe"],
  ports: (config) => (config.dhcpMode === "off" ? ["69/udp"] : ["67/udp", "69/udp", "4011/udp"]),
  files: (_host, settings) => [{ path: "/etc/dnsmasq.d/orchestra.conf", content: renderDnsmasqConf(settings) }],
  check: ["dnsmasq", "--test"],
  // dnsmasq re-reads hosts files on SIGHUP but not its own options: restart.
  reloadable: false,
  async prepare(host, settings) {
    mkdirSync(host.path(`${settings.dataDir}/dhcp-hosts`), { recursive: true });
    mkdirSync(host.path(`${settings.dataDir}/tftp`), { recursive: true });
  },
});
