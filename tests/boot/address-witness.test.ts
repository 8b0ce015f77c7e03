/**
 * The address witness: dnsmasq's lease file and the kernel's neighbour table, read as they
 * are written, weighed into proven / contradicted / unknown.
 */
import { describe, expect, it } from "vitest";
import { judgeAddress, parseDnsmasqLeases, parseNeighbourTable } from "../../lib/boot/address-witness.ts";

const MAC = "52:54:00:00:00:01";
const OTHER = "52:54:00:00:00:02";
const NOW = 1_800_000_000;

describe("parsing", () => {
  it("reads dnsmasq's lease lines and skips anything else (IPv6 leases, the duid line, junk)", () => {
    const text = [
      `${NOW + 60} 52:54:00:00:00:01 192.0.2.101 node-a 01:52:54:00:00:00:01`,
      "0 52:54:00:00:00:02 192.0.2.102 * *",
      "duid 00:01:00:01:2c:aa:bb:cc:dd:ee:ff:00:11:22",
      `${NOW} 1234 2001:db8::1 * 00:01:00`,
      "garbage",
    ].join("\n");
    expect(parseDnsmasqLeases(text)).toEqual([
      { expires: NOW + 60, mac: MAC, address: "192.0.2.101" },
      { expires: 0, mac: OTHER, address: "192.0.2.102" },
    ]);
  });

  it("reads complete entries of /proc/net/arp only (an incomplete one has flags 0x0 and no MAC)", () => {
    const text = [
      "IP address       HW type     Flags       HW address            Mask     Device",
      "192.0.2.101      0x1         0x2         52:54:00:00:00:01     *        br0",
      "192.0.2.102      0x1         0x0         00:00:00:00:00:00     *        br0",
      "192.0.2.103      0x1         0x6         52:54:00:00:00:03     *        br0",
    ].join("\n");
    expect(parseNeighbourTable(text)).toEqual([
      { address: "192.0.2.101", mac: MAC },
      { address: "192.0.2.103", mac: "52:54:00:00:00:03" },
    ]);
  });
});

describe("judging a claim", () => {
  const lease = (mac: string, address: string, expires = NOW + 60) => ({ mac, address, expires });

  it("a live lease of that address to that MAC proves it; to another MAC, or only other addresses for that MAC, contradicts it", () => {
    expect(judgeAddress(MAC, "192.0.2.101", [lease(MAC, "192.0.2.101")], [], NOW)).toBe("proven");
    expect(judgeAddress(MAC, "192.0.2.101", [lease(OTHER, "192.0.2.101")], [], NOW)).toBe("contradicted");
    expect(judgeAddress(MAC, "192.0.2.66", [lease(MAC, "192.0.2.101")], [], NOW)).toBe("contradicted");
  });

  it("an expired lease says nothing", () => {
    expect(judgeAddress(MAC, "192.0.2.66", [lease(MAC, "192.0.2.101", NOW - 1)], [], NOW)).toBe("unknown");
  });

  it("the neighbour table proves or contradicts, and a contradiction wins over a lease", () => {
    expect(judgeAddress(MAC, "192.0.2.101", [], [{ address: "192.0.2.101", mac: MAC }], NOW)).toBe("proven");
    expect(judgeAddress(MAC, "192.0.2.101", [], [{ address: "192.0.2.101", mac: OTHER }], NOW)).toBe("contradicted");
    expect(judgeAddress(MAC, "192.0.2.101", [lease(MAC, "192.0.2.101")], [{ address: "192.0.2.101", mac: OTHER }], NOW)).toBe("contradicted");
  });

  it("knowing nothing about the address (proxy DHCP, a routed client) is unknown", () => {
    expect(judgeAddress(MAC, "198.51.100.7", [], [{ address: "192.0.2.1", mac: OTHER }], NOW)).toBe("unknown");
  });
});

describe("the file witness", () => {
  it("reads the lease file again when dnsmasq rewrites it, and knows nothing of a file that is gone", async () => {
    const { mkdtempSync, rmSync, writeFileSync, utimesSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const { fileAddressWitness } = await import("../../lib/boot/address-witness.ts");
    const dir = mkdtempSync(join(tmpdir(), "orchestra-witness-"));
    try {
      const leaseFile = join(dir, "dnsmasq.leases");
      const neighbourTable = join(dir, "arp");
      writeFileSync(neighbourTable, "IP address       HW type     Flags       HW address            Mask     Device\n");
      const witness = fileAddressWitness({ leaseFile, neighbourTable });
      expect(await witness.verdict(MAC, "192.0.2.101")).toBe("unknown");
      writeFileSync(leaseFile, `0 ${MAC} 192.0.2.101 * *\n`);
      expect(await witness.verdict(MAC, "192.0.2.101")).toBe("proven");
      // Same size, a later time: another lease, read again rather than answered from the last read.
      writeFileSync(leaseFile, `0 ${OTHER} 192.0.2.101 * *\n`);
      utimesSync(leaseFile, new Date(), new Date(Date.now() + 5000));
      expect(await witness.verdict(MAC, "192.0.2.101")).toBe("contradicted");
      rmSync(leaseFile);
      expect(await witness.verdict(MAC, "192.0.2.101")).toBe("unknown");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
