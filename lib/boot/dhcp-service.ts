/**
 * @module boot/dhcp-service
 * Orchestra-managed DHCP/TFTP: render dnsmasq's configuration into the data directory,
 * put the iPXE loaders in the TFTP root, have dnsmasq check the result, then supervise it.
 */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "pino";
import { writeFileAtomic } from "../files/write-file-atomic.ts";
import { type DnsmasqSettings, renderDnsmasqConfig, tftpLoaders } from "./dnsmasq-config.ts";
// dnsmasq's supervisor (and execa, its child-process library) is loaded when DHCP starts:
// the boot service reads this module's paths, and a server without managed DHCP never needs it.
import type { DnsmasqSupervisor } from "./dnsmasq-process.ts";
import { prepareTftpRoot } from "./tftp-root.ts";

/** The settings an operator gives; the data directory supplies the paths. */
export type DhcpServiceSettings = Omit<DnsmasqSettings, "tftpRoot" | "hostsDir" | "leaseFile">;

/** Where the DHCP service keeps its files in a data directory. */
export function dhcpPaths(dataDir: string): { configPath: string; hostsDir: string; leaseFile: string; tftpRoot: string } {
  const dir = join(dataDir, "dnsmasq");
  return { configPath: join(dir, "dnsmasq.conf"), hostsDir: join(dir, "hosts.d"), leaseFile: join(dir, "leases"), tftpRoot: join(dataDir, "tftp") };
}

/** Prepare and start dnsmasq; throws before starting anything if the configuration or a loader is wrong. */
export async function startDhcpService(dataDir: string, settings: DhcpServiceSettings, logger: Logger): Promise<DnsmasqSupervisor> {
  const paths = dhcpPaths(dataDir);
  const config = renderDnsmasqConfig({ ...settings, tftpRoot: paths.tftpRoot, hostsDir: paths.hostsDir, leaseFile: paths.leaseFile });
  await prepareTftpRoot(paths.tftpRoot, tftpLoaders(settings));
  await mkdir(paths.hostsDir, { recursive: true });
  await writeFileAtomic(paths.configPath, config);
  const { checkDnsmasqConfig, superviseDnsmasq } = await import("./dnsmasq-process.ts");
  await checkDnsmasqConfig(paths.configPath);
  return superviseDnsmasq(paths.configPath, logger);
}
