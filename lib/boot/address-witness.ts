/**
 * @module boot/address-witness
 * What the network tells Orchestra about who is asking: does the address a request came
 * from belong to the MAC it names? Two witnesses, both read from files the kernel and
 * dnsmasq keep, never from anything the client sends:
 *
 * - Orchestra's own DHCP leases (dnsmasq's lease file): the address it leased to that MAC.
 * - The kernel's neighbour table (/proc/net/arp): the MAC that answered ARP for that
 *   address, when the client is on a directly attached network (the TCP handshake that
 *   carried the request filled the entry in).
 *
 * A witness that names another MAC (or another address) contradicts the claim; none that
 * knows anything leaves it unknown (proxy-DHCP beside another server, a routed client):
 * then only binding a token to the first address that uses it remains (docs/boot.md).
 */
import { readFileSync, statSync } from "node:fs";
import { isIPv4 } from "node:net";

/** What the network says about "this address is that MAC's". */
export type AddressVerdict = "proven" | "contradicted" | "unknown";

/** Answers whether `address` belongs to `mac`, as far as the network lets us tell. */
export interface AddressWitness {
  verdict(mac: string, address: string): Promise<AddressVerdict>;
}

/** One lease of dnsmasq's lease file. */
export interface DhcpLease {
  /** Seconds since the epoch; 0 means the lease never expires. */
  readonly expires: number;
  readonly mac: string;
  readonly address: string;
}

/** dnsmasq's lease file: `expiry mac address hostname client-id` per line (IPv4 leases only). */
export function parseDnsmasqLeases(text: string): DhcpLease[] {
  const leases: DhcpLease[] = [];
  for (const line of text.split("\n")) {
    const [expires, mac, address] = line.trim().split(/\s+/);
    if (!expires || !mac || !address || !/^\d+$/.test(expires) || !/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(mac) || !isIPv4(address)) continue;
    leases.push({ expires: Number(expires), mac: mac.toLowerCase(), address });
  }
  return leases;
}

/** /proc/net/arp: `address hw-type flags mac mask device`; complete entries only (flag 0x2). */
export function parseNeighbourTable(text: string): Array<{ address: string; mac: string }> {
  const entries: Array<{ address: string; mac: string }> = [];
  for (const line of text.split("\n").slice(1)) {
    const [address, , flags, mac] = line.trim().split(/\s+/);
    if (!address || !flags || !mac || !isIPv4(address) || (Number.parseInt(flags, 16) & 0x2) === 0) continue;
    if (!/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(mac) || mac === "00:00:00:00:00:00") continue;
    entries.push({ address, mac: mac.toLowerCase() });
  }
  return entries;
}

/** Weigh leases and neighbours for one claim: any contradiction wins over any proof. */
export function judgeAddress(mac: string, address: string, leases: readonly DhcpLease[], neighbours: ReadonlyArray<{ address: string; mac: string }>, nowSeconds: number): AddressVerdict {
  const live = leases.filter((lease) => lease.expires === 0 || lease.expires > nowSeconds);
  const macLeases = live.filter((lease) => lease.mac === mac);
  const neighbour = neighbours.find((entry) => entry.address === address);
  // The address answers ARP with another MAC, or Orchestra leased it to another MAC, or it
  // leased this MAC only other addresses: the request is not from that machine.
  if (neighbour && neighbour.mac !== mac) return "contradicted";
  if (live.some((lease) => lease.address === address && lease.mac !== mac) && !macLeases.some((lease) => lease.address === address)) return "contradicted";
  if (macLeases.length > 0 && !macLeases.some((lease) => lease.address === address)) return "contradicted";
  if (neighbour || macLeases.length > 0) return "proven";
  return "unknown";
}

/** Files the witness reads; a missing or unreadable file knows nothing. */
export interface WitnessFiles {
  /** Orchestra's dnsmasq lease file (only meaningful when Orchestra hands out addresses). */
  readonly leaseFile?: string;
  /** The kernel's IPv4 neighbour table. */
  readonly neighbourTable?: string;
}

/**
 * A witness over dnsmasq's lease file and the kernel's neighbour table, read on each question.
 * Both reads are synchronous: the neighbour table lives in the kernel's memory (procfs), and
 * the lease file is parsed again only when its inode, size or time changed. Two promise reads
 * through libuv's pool cost each boot script with a token about 50 µs of the server's thread,
 * twice a deployment (tests/bench/deploy-overhead.ts); these cost a fraction of that.
 */
export function fileAddressWitness(files: WitnessFiles = {}): AddressWitness {
  const neighbourTable = files.neighbourTable ?? "/proc/net/arp";
  let leases: { version: string; leases: DhcpLease[] } | undefined;
  const currentLeases = (): DhcpLease[] => {
    if (!files.leaseFile) return [];
    try {
      const info = statSync(files.leaseFile, { throwIfNoEntry: false });
      if (!info) return [];
      const version = `${info.ino}:${info.size}:${info.mtimeMs}`;
      if (leases?.version !== version) leases = { version, leases: parseDnsmasqLeases(readFileSync(files.leaseFile, "utf8")) };
      return leases.leases;
    } catch {
      return []; // unreadable: knows nothing
    }
  };
  const readNeighbours = (): string => {
    try {
      return readFileSync(neighbourTable, "utf8");
    } catch {
      return "";
    }
  };
  return {
    async verdict(mac, address) {
      const plain = address.startsWith("::ffff:") ? address.slice(7) : address;
      return judgeAddress(mac, plain, currentLeases(), parseNeighbourTable(readNeighbours()), Math.floor(Date.now() / 1000));
    },
  };
}
