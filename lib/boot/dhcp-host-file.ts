/**
 * @module boot/dhcp-host-file
 * Per-machine DHCP data: one file per MAC in dnsmasq's dhcp-hostsdir. Adding a machine
 * writes one small file and nothing else, so its cost does not grow with the inventory
 * (Cobbler's full sync took over ten minutes at thousands of systems).
 */
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { OrchestraError } from "../errors.ts";
import { writeFileAtomic } from "../files/write-file-atomic.ts";
import { parseMac } from "../inventory/mac-address.ts";

/** What dnsmasq should do for one MAC. */
export interface DhcpHost {
  readonly mac: string;
  readonly hostname?: string;
  /** A fixed address; otherwise the dynamic range serves it. */
  readonly address?: string;
  /** Never answer this MAC (a retired machine, or one that must not network-boot). */
  readonly ignore?: boolean;
}

const HOSTNAME = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)$/;

/** The file name for a MAC: its hex digits, hyphen-separated (safe in any file system). */
export function dhcpHostFileName(mac: string): string {
  return parseMac(mac).replaceAll(":", "-");
}

/** The line dnsmasq reads for one host (dhcp-host syntax without the option name). */
export function renderDhcpHost(host: DhcpHost): string {
  const fields = [parseMac(host.mac)];
  if (host.ignore) return `${fields[0]},ignore\n`;
  if (host.address !== undefined) {
    if (!IPV4.test(host.address)) throw new OrchestraError("DHCP_CONFIG_INVALID", `invalid address ${JSON.stringify(host.address)} for ${fields[0]}`, { mac: fields[0] });
    fields.push(host.address);
  }
  if (host.hostname !== undefined) {
    // dnsmasq wants the short name here; the domain comes from the configuration.
    const short = host.hostname.split(".")[0]!;
    if (!HOSTNAME.test(short)) throw new OrchestraError("DHCP_CONFIG_INVALID", `invalid hostname ${JSON.stringify(host.hostname)} for ${fields[0]}`, { mac: fields[0] });
    fields.push(short);
  }
  return `${fields.join(",")}\n`;
}

/** Write (or replace) one host's file in `hostsDir`. */
export async function writeDhcpHost(hostsDir: string, host: DhcpHost): Promise<string> {
  const path = join(hostsDir, dhcpHostFileName(host.mac));
  await writeFileAtomic(path, renderDhcpHost(host));
  return path;
}

/**
 * Remove one host's file. dnsmasq forgets a removed host only on SIGHUP (it re-reads new
 * and changed files by itself, but never drops records), so the caller signals it.
 */
export async function removeDhcpHost(hostsDir: string, mac: string): Promise<void> {
  await rm(join(hostsDir, dhcpHostFileName(mac)), { force: true });
}
