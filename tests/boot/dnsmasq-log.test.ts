import { describe, expect, it } from "vitest";
import { parseDnsmasqLine } from "../../lib/boot/dnsmasq-log.ts";

describe("dnsmasq's log lines", () => {
  it("reads leases, TFTP transfers and request MACs", () => {
    expect(parseDnsmasqLine("dnsmasq-dhcp[42]: 1234567 DHCPACK(br0) 192.0.2.150 52:54:00:D1:6D:00")).toMatchObject({ kind: "lease", address: "192.0.2.150", mac: "52:54:00:d1:6d:00" });
    expect(parseDnsmasqLine("dnsmasq-tftp[42]: sent /srv/tftp/undionly.kpxe to 192.0.2.150")).toMatchObject({ kind: "tftp-sent", file: "/srv/tftp/undionly.kpxe" });
    expect(parseDnsmasqLine("dnsmasq-dhcp[42]: 99 DHCPDISCOVER(br0) 52:54:00:aa:bb:cc")).toMatchObject({ kind: "request", xid: "99", mac: "52:54:00:aa:bb:cc" });
  });

  it("names a PXE client of an architecture nothing is served for", () => {
    const event = parseDnsmasqLine("dnsmasq-dhcp[42]: 99 vendor class: PXEClient:Arch:00011:UNDI:003016");
    expect(event).toMatchObject({ kind: "unknown-architecture", xid: "99", arch: 11 });
    expect(event.message).toMatch(/architecture 11 \(ARM 64-bit UEFI\) gets no boot loader/);
    expect(parseDnsmasqLine("dnsmasq-dhcp[42]: 99 vendor class: PXEClient:Arch:00000:UNDI:002001").kind).toBe("other");
    expect(parseDnsmasqLine("dnsmasq-dhcp[42]: 99 vendor class: PXEClient:Arch:00007:UNDI:003016").kind).toBe("other");
  });

  it("flags failures", () => {
    expect(parseDnsmasqLine("dnsmasq: failed to create listening socket for 192.0.2.1: Address in use").kind).toBe("error");
  });
});
