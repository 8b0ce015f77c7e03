/**
 * @module charm/render/dnsmasq-conf
 * dnsmasq's drop-in for network boot: DHCP (full or proxy), TFTP for the iPXE binaries,
 * and the hand-over of iPXE clients to the boot HTTP service.
 */
import { BIOS_LOADER } from "../../lib/boot/dnsmasq-config.ts";
import { dhcpPaths } from "../../lib/boot/dhcp-service.ts";
import type { CharmConfig } from "../config/charm-config.ts";
import { managedHeader } from "./managed-header.ts";

/** The UEFI loader the charm hands x86-64 UEFI clients (the firmware's own NIC driver). */
export const UEFI_LOADER = "snponly.efi";
/** The loaders the rendered configuration names: the TFTP root must hold each of them. */
export const CHARM_TFTP_LOADERS = [BIOS_LOADER, UEFI_LOADER] as const;

/** What the dnsmasq drop-in is rendered from. */
export interface DnsmasqInput {
  config: Pick<CharmConfig, "dhcpMode" | "provisioningInterface" | "provisioningSubnet" | "dhcpRange" | "dnsDomain" | "bootPort">;
  /** The address machines reach the boot HTTP service at. */
  address: string;
  dataDir: string;
}

/** Renders /etc/dnsmasq.d/orchestra.conf. */
export function renderDnsmasqConf(input: DnsmasqInput): string {
  const { config, address, dataDir } = input;
  const bootUrl = `http://${address}:${config.bootPort}/boot.ipxe`;
  // The library's own paths: `serve` and the inventory write per-MAC files to this hostsDir.
  const paths = dhcpPaths(dataDir);
  const lines = [
    managedHeader().trimEnd(),
    // DNS stays with the system resolver; dnsmasq here is only DHCP and TFTP.
    "port=0",
    `interface=${config.provisioningInterface}`,
    "bind-dynamic",
    "log-dhcp",
    `domain=${config.dnsDomain}`,
    // One file per MAC that dnsmasq re-reads itself: adding a machine never rewrites this file.
    `dhcp-hostsdir=${paths.hostsDir}`,
    "enable-tftp",
    `tftp-root=${paths.tftpRoot}`,
    "dhcp-match=set:ipxe,175",
    "dhcp-match=set:efi64,option:client-arch,7",
    "dhcp-match=set:efi64,option:client-arch,9",
  ];
  const subnet = config.provisioningSubnet;
  if (config.dhcpMode === "full" && config.dhcpRange) {
    lines.push(
      `dhcp-range=${config.dhcpRange.first},${config.dhcpRange.last},12h`,
      `dhcp-boot=tag:!ipxe,tag:!efi64,${BIOS_LOADER}`,
      `dhcp-boot=tag:!ipxe,tag:efi64,${UEFI_LOADER}`,
      `dhcp-boot=tag:ipxe,${bootUrl}`,
    );
  } else if (config.dhcpMode === "proxy" && subnet) {
    lines.push(
      `dhcp-range=${subnet.network},proxy`,
      `pxe-service=tag:!ipxe,x86PC,"Orchestra network boot",${BIOS_LOADER}`,
      `pxe-service=tag:!ipxe,X86-64_EFI,"Orchestra network boot",${UEFI_LOADER}`,
      `pxe-service=tag:ipxe,x86PC,"Orchestra iPXE",${bootUrl}`,
      `pxe-service=tag:ipxe,X86-64_EFI,"Orchestra iPXE",${bootUrl}`,
    );
  }
  return `${lines.join("\n")}\n`;
}
