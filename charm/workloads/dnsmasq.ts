/**
 * @module charm/workloads/dnsmasq
 * dnsmasq: DHCP or proxy-DHCP and TFTP on the provisioning network.
 */
import { ensureDirectory } from "../host/file-access.ts";
import { dhcpPaths } from "../../lib/boot/dhcp-service.ts";
import { IPXE_DIR, prepareTftpRoot } from "../../lib/boot/tftp-root.ts";
import { CHARM_TFTP_LOADERS, renderDnsmasqConf } from "../render/dnsmasq-conf.ts";
import type { DhcpMode } from "../config/charm-config.ts";
import { packagedService } from "./packaged-service.ts";
import type { WorkloadSettings } from "./workload.ts";

/**
 * The DHCP role of this unit: every unit runs dnsmasq, but one network must have one DHCP
 * server, so full mode runs on the leader alone and the other units serve TFTP only.
 * (Proxy-DHCP answers only boot requests and may run on every unit.)
 */
export function dhcpModeHere(settings: Pick<WorkloadSettings, "config" | "leader">): DhcpMode {
  return settings.config.dhcpMode === "full" && !settings.leader ? "off" : settings.config.dhcpMode;
}

/** The dnsmasq component. */
export const dnsmasq = packagedService({
  name: "dnsmasq",
  service: { name: "dnsmasq", foreground: ["dnsmasq", "--keep-in-foreground"] },
  packages: ["dnsmasq", "ipxe"],
  ports: (config) => (config.dhcpMode === "off" ? ["69/udp"] : ["67/udp", "69/udp", "4011/udp"]),
  files: (_host, settings) => [{ path: "/etc/dnsmasq.d/orchestra.conf", content: renderDnsmasqConf({ ...settings, config: { ...settings.config, dhcpMode: dhcpModeHere(settings) } }) }],
  check: ["dnsmasq", "--test"],
  // dnsmasq re-reads hosts files on SIGHUP but not its own options: restart.
  reloadable: false,
  async prepare(host, settings) {
    const paths = dhcpPaths(settings.dataDir);
    // What dnsmasq serves to anyone on the network anyway: readable by all, written by root.
    await ensureDirectory(host, `${settings.dataDir}/dnsmasq`, { mode: 0o755 });
    await ensureDirectory(host, paths.hostsDir, { mode: 0o755 });
    await ensureDirectory(host, paths.tftpRoot, { mode: 0o755 });
    // Copied as `serve --dhcp-*` does (not linked: a TFTP server may refuse links out of its
    // root), and again on every hook, so an ipxe package upgrade reaches the TFTP root.
    await prepareTftpRoot(host.path(paths.tftpRoot), CHARM_TFTP_LOADERS, host.path(IPXE_DIR));
  },
});
