/**
 * @module boot/dnsmasq-config
 * The dnsmasq configuration for a provisioning network, rendered by a pure function: DHCP
 * (or proxy-DHCP beside an existing server), TFTP of the iPXE binaries chosen by client
 * architecture (option 93), and the iPXE branch (option 175) that hands over to HTTP.
 * Every value is checked before it is written, so a setting can never inject a line.
 */
import { isAbsolute } from "node:path";
import { OrchestraError } from "../errors.ts";

/** Settings of the provisioning network. */
export interface DnsmasqSettings {
  /** The interface dnsmasq serves (and binds to), e.g. br0 or eno1. */
  readonly interface: string;
  /** Orchestra's address on that network: where nodes fetch scripts and images. */
  readonly serverAddress: string;
  /** The boot HTTP port (5248). */
  readonly bootPort: number;
  /** `dhcp`: dnsmasq hands out addresses; `proxy`: another DHCP server does, dnsmasq only adds boot data. */
  readonly mode: "dhcp" | "proxy";
  /** The network's netmask, e.g. 255.255.255.0. */
  readonly netmask: string;
  /** Dynamic range for machines nobody has registered (dhcp mode). */
  readonly range?: { readonly start: string; readonly end: string; readonly leaseTime?: string };
  /** The network address (proxy mode), e.g. 192.0.2.0. */
  readonly network?: string;
  readonly gateway?: string;
  readonly dnsServers?: readonly string[];
  readonly domain?: string;
  readonly tftpRoot: string;
  readonly hostsDir: string;
  readonly leaseFile: string;
  /** The UEFI loader handed to x86-64 UEFI clients: ipxe.efi (own drivers) or snponly.efi (firmware's NIC driver). */
  readonly uefiLoader?: "ipxe.efi" | "snponly.efi";
  /** Run as this user (dnsmasq drops root after binding); omit for dnsmasq's default. */
  readonly user?: string;
  readonly logDhcp?: boolean;
}

/** The files the TFTP root must hold for the rendered configuration. */
export const BIOS_LOADER = "undionly.kpxe";

const IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)$/;
const INTERFACE = /^[A-Za-z0-9_.-]{1,15}$/;
const DOMAIN = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;
const LEASE = /^(?:\d+[smhdw]?|infinite)$/;
const USER = /^[a-z_][a-z0-9_-]{0,31}$/;

function invalid(field: string, value: unknown, hint: string): never {
  throw new OrchestraError("DHCP_CONFIG_INVALID", `invalid DHCP setting ${field} ${JSON.stringify(value)}: ${hint}`, { field });
}

function ipv4(field: string, value: string | undefined): string {
  if (value === undefined || !IPV4.test(value)) invalid(field, value, "expected an IPv4 address such as 192.0.2.1");
  return value;
}

function path(field: string, value: string): string {
  if (typeof value !== "string" || !isAbsolute(value) || /[\s,#]/.test(value)) invalid(field, value, "expected an absolute path without spaces, commas or #");
  return value;
}

function toNumber(address: string): number {
  return address.split(".").reduce((n, octet) => n * 256 + Number(octet), 0);
}

function sameNetwork(a: string, b: string, netmask: string): boolean {
  const mask = toNumber(netmask);
  // >>> 0 keeps the bitwise result unsigned so equal networks compare equal.
  return ((toNumber(a) & mask) >>> 0) === ((toNumber(b) & mask) >>> 0);
}

/** Render dnsmasq's configuration file. Throws DHCP_CONFIG_INVALID, naming the setting, on bad input. */
export function renderDnsmasqConfig(s: DnsmasqSettings): string {
  if (!INTERFACE.test(s.interface)) invalid("interface", s.interface, "expected an interface name such as br0");
  const server = ipv4("serverAddress", s.serverAddress);
  const netmask = ipv4("netmask", s.netmask);
  const maskBits = toNumber(netmask).toString(2).padStart(32, "0");
  if (!/^1+0*$/.test(maskBits)) invalid("netmask", netmask, "expected a contiguous netmask such as 255.255.255.0");
  if (!Number.isInteger(s.bootPort) || s.bootPort < 1 || s.bootPort > 65535) invalid("bootPort", s.bootPort, "expected a port 1-65535");
  const uefiLoader = s.uefiLoader ?? "ipxe.efi";
  if (uefiLoader !== "ipxe.efi" && uefiLoader !== "snponly.efi") invalid("uefiLoader", uefiLoader, "expected ipxe.efi or snponly.efi");

  const lines = [
    "# Rendered by Orchestra; edits are overwritten.",
    "# DNS is off: this dnsmasq serves DHCP and TFTP for the provisioning network only.",
    "port=0",
    `interface=${s.interface}`,
    "bind-interfaces",
    "no-resolv",
    "no-hosts",
  ];
  if (s.user !== undefined) {
    if (!USER.test(s.user)) invalid("user", s.user, "expected a user name");
    lines.push(`user=${s.user}`);
  }

  if (s.mode === "dhcp") {
    if (!s.range) invalid("range", s.range, "dhcp mode needs a dynamic range");
    const start = ipv4("range.start", s.range.start);
    const end = ipv4("range.end", s.range.end);
    const lease = s.range.leaseTime ?? "1h";
    if (!LEASE.test(lease)) invalid("range.leaseTime", lease, "expected a lease time such as 1h or 600");
    if (toNumber(start) > toNumber(end)) invalid("range", `${start}-${end}`, "the range starts after it ends");
    for (const [field, address] of [["range.start", start], ["range.end", end]] as const) {
      if (!sameNetwork(address, server, netmask)) invalid(field, address, `not on the server's network ${server}/${netmask}`);
    }
    if (toNumber(start) <= toNumber(server) && toNumber(server) <= toNumber(end)) invalid("range", `${start}-${end}`, `contains the server's own address ${server}`);
    lines.push(`dhcp-range=set:provisioning,${start},${end},${netmask},${lease}`, "dhcp-authoritative");
  } else if (s.mode === "proxy") {
    const network = ipv4("network", s.network);
    if (!sameNetwork(network, server, netmask)) invalid("network", network, `not the server's network ${server}/${netmask}`);
    lines.push(`dhcp-range=${network},proxy,${netmask}`);
  } else {
    invalid("mode", s.mode, "expected dhcp or proxy");
  }

  if (s.gateway !== undefined) lines.push(`dhcp-option=option:router,${ipv4("gateway", s.gateway)}`);
  if (s.dnsServers?.length) lines.push(`dhcp-option=option:dns-server,${s.dnsServers.map((d, i) => ipv4(`dnsServers[${i}]`, d)).join(",")}`);
  if (s.domain !== undefined) {
    if (!DOMAIN.test(s.domain)) invalid("domain", s.domain, "expected a DNS domain such as lab.example");
    lines.push(`domain=${s.domain}`);
  }

  lines.push(
    `dhcp-leasefile=${path("leaseFile", s.leaseFile)}`,
    // One file per MAC; dnsmasq notices new and changed files itself (no restart, no sync).
    `dhcp-hostsdir=${path("hostsDir", s.hostsDir)}`,
    "enable-tftp",
    `tftp-root=${path("tftpRoot", s.tftpRoot)}`,
    // iPXE announces itself with option 175; everything else is firmware PXE to be upgraded to iPXE.
    "dhcp-match=set:ipxe,175",
    "dhcp-match=set:bios,option:client-arch,0",
    "dhcp-match=set:efi-x86_64,option:client-arch,7",
    "dhcp-match=set:efi-x86_64,option:client-arch,9",
  );
  const bootUrl = `http://${server}:${s.bootPort}/boot.ipxe`;
  if (s.mode === "dhcp") {
    lines.push(
      `dhcp-boot=tag:ipxe,${bootUrl}`,
      `dhcp-boot=tag:!ipxe,tag:bios,${BIOS_LOADER},,${server}`,
      `dhcp-boot=tag:!ipxe,tag:efi-x86_64,${uefiLoader},,${server}`,
    );
  } else {
    // Beside another DHCP server the boot file travels in PXE boot-server answers, for iPXE
    // too: iPXE ignores a plain boot file name in a ProxyDHCP offer.
    for (const csa of ["x86PC", "x86-64_EFI", "BC_EFI"]) {
      lines.push(`pxe-service=tag:ipxe,${csa},"Orchestra network boot",${bootUrl}`);
    }
    lines.push(
      `pxe-service=tag:!ipxe,x86PC,"Orchestra network boot",${BIOS_LOADER}`,
      `pxe-service=tag:!ipxe,x86-64_EFI,"Orchestra network boot",${uefiLoader}`,
      `pxe-service=tag:!ipxe,BC_EFI,"Orchestra network boot",${uefiLoader}`,
    );
  }
  if (s.logDhcp ?? true) lines.push("log-dhcp");
  return `${lines.join("\n")}\n`;
}

/** The loader files the TFTP root needs for these settings. */
export function tftpLoaders(s: Pick<DnsmasqSettings, "uefiLoader">): string[] {
  return [BIOS_LOADER, s.uefiLoader ?? "ipxe.efi"];
}
