/**
 * @module boot/dnsmasq-log
 * dnsmasq's log lines, read in one place: which carry news worth a structured log entry
 * (a lease, a TFTP transfer, a PXE client of an architecture nothing is served for).
 */

/** What one dnsmasq log line tells us. */
export type DnsmasqEvent =
  | { readonly kind: "lease"; readonly mac: string; readonly address: string; readonly message: string }
  | { readonly kind: "tftp-sent"; readonly file: string; readonly address: string; readonly message: string }
  | { readonly kind: "request"; readonly xid: string; readonly mac: string; readonly message: string }
  | { readonly kind: "unknown-architecture"; readonly xid: string | undefined; readonly arch: number; readonly message: string }
  | { readonly kind: "error"; readonly message: string }
  | { readonly kind: "other"; readonly message: string };

/** Client architectures (option 93) the rendered configuration serves a loader for. */
export const SERVED_ARCHITECTURES: ReadonlySet<number> = new Set([0, 7, 9]);

/** Names of the architectures a log line may report, for a clearer message. */
const ARCH_NAMES: Readonly<Record<number, string>> = { 0: "x86 BIOS", 6: "x86 UEFI (32-bit)", 7: "x86-64 UEFI", 9: "x86-64 UEFI", 10: "ARM 32-bit UEFI", 11: "ARM 64-bit UEFI", 16: "x86-64 UEFI HTTP", 19: "ARM 64-bit UEFI HTTP" };

/** Classify one line of dnsmasq's log output. */
export function parseDnsmasqLine(line: string): DnsmasqEvent {
  const message = line.replace(/^dnsmasq(?:-dhcp|-tftp)?(?:\[\d+\])?:\s*/, "").trim();
  // With log-dhcp, lines of one DHCP exchange start with its transaction number.
  const xid = /^(\d+)\s/.exec(message)?.[1];
  let m = /DHCPACK\([^)]*\)\s+(\d+\.\d+\.\d+\.\d+)\s+([0-9a-f:]{17})/i.exec(message);
  if (m) return { kind: "lease", address: m[1]!, mac: m[2]!.toLowerCase(), message };
  m = /DHCP(?:DISCOVER|REQUEST)\([^)]*\)\s+(?:\d+\.\d+\.\d+\.\d+\s+)?([0-9a-f]{2}(?::[0-9a-f]{2}){5})/i.exec(message);
  if (m && xid) return { kind: "request", xid, mac: m[1]!.toLowerCase(), message };
  m = /sent\s+(\S+)\s+to\s+(\d+\.\d+\.\d+\.\d+)/.exec(message);
  if (m) return { kind: "tftp-sent", file: m[1]!, address: m[2]!, message };
  // With log-dhcp a PXE client's request shows "vendor class: PXEClient:Arch:00011:...".
  m = /vendor class: PXEClient:Arch:(\d{5})/.exec(message);
  if (m) {
    const arch = Number(m[1]);
    if (!SERVED_ARCHITECTURES.has(arch)) {
      return { kind: "unknown-architecture", xid, arch, message: `PXE client of architecture ${arch} (${ARCH_NAMES[arch] ?? "unknown"}) gets no boot loader: only x86 BIOS and x86-64 UEFI are served` };
    }
  }
  if (/^(?:FAILED|failed|error|cannot|bad )/i.test(message) || /\b(?:failed|error)\b/i.test(message)) return { kind: "error", message };
  return { kind: "other", message };
}
