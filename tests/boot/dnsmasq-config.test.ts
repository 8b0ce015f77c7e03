import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { renderDnsmasqConfig, type DnsmasqSettings } from "../../lib/boot/dnsmasq-config.ts";
import { checkDnsmasqConfig } from "../../lib/boot/dnsmasq-process.ts";
import { isOrchestraError } from "../../lib/errors.ts";

const dir = mkdtempSync(join(tmpdir(), "orchestra-dnsmasq-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const base = {
  interface: "br0",
  serverAddress: "192.0.2.1",
  bootPort: 5248,
  netmask: "255.255.255.0",
  tftpRoot: join(dir, "tftp"),
  hostsDir: join(dir, "hosts.d"),
  leaseFile: join(dir, "leases"),
} as const;

const dhcp: DnsmasqSettings = { ...base, mode: "dhcp", range: { start: "192.0.2.100", end: "192.0.2.200", leaseTime: "1h" }, gateway: "192.0.2.1", dnsServers: ["192.0.2.53"], domain: "lab.example" };
const proxy: DnsmasqSettings = { ...base, mode: "proxy", network: "192.0.2.0" };

let n = 0;
async function dnsmasqAccepts(text: string): Promise<void> {
  const path = join(dir, `dnsmasq-${n++}.conf`);
  writeFileSync(path, text);
  await checkDnsmasqConfig(path);
}

function refusal(settings: DnsmasqSettings): string {
  try {
    renderDnsmasqConfig(settings);
  } catch (error) {
    expect(isOrchestraError(error, "DHCP_CONFIG_INVALID")).toBe(true);
    return (error as Error).message;
  }
  throw new Error("expected the settings to be refused");
}

describe("the dnsmasq configuration", () => {
  it("in DHCP mode passes dnsmasq --test and hands iPXE clients the boot URL, others a loader per architecture", async () => {
    const text = renderDnsmasqConfig(dhcp);
    await dnsmasqAccepts(text);
    const lines = text.split("\n");
    expect(lines).toContain("dhcp-range=set:provisioning,192.0.2.100,192.0.2.200,255.255.255.0,1h");
    expect(lines).toContain("dhcp-match=set:ipxe,175");
    expect(lines).toContain("dhcp-boot=tag:ipxe,http://192.0.2.1:5248/boot.ipxe");
    expect(lines).toContain("dhcp-boot=tag:!ipxe,tag:bios,undionly.kpxe,,192.0.2.1");
    expect(lines).toContain("dhcp-boot=tag:!ipxe,tag:efi-x86_64,ipxe.efi,,192.0.2.1");
    expect(lines).toContain(`dhcp-hostsdir=${base.hostsDir}`);
    expect(lines).toContain("dhcp-option=option:router,192.0.2.1");
    expect(lines).toContain("port=0");
  });

  it("in proxy mode passes dnsmasq --test and offers the loaders as PXE services", async () => {
    const text = renderDnsmasqConfig({ ...proxy, uefiLoader: "snponly.efi" });
    await dnsmasqAccepts(text);
    expect(text).toContain("dhcp-range=192.0.2.0,proxy,255.255.255.0\n");
    expect(text).toContain('pxe-service=tag:!ipxe,x86PC,"Orchestra network boot",undionly.kpxe\n');
    expect(text).toContain('pxe-service=tag:!ipxe,x86-64_EFI,"Orchestra network boot",snponly.efi\n');
    expect(text).not.toContain("dhcp-authoritative");
  });

  it("is a pure function of its settings", () => {
    expect(renderDnsmasqConfig(dhcp)).toBe(renderDnsmasqConfig({ ...dhcp }));
  });

  it("the dnsmasq check itself fails on a configuration dnsmasq refuses", async () => {
    const broken = renderDnsmasqConfig(dhcp).replace("dhcp-match=set:ipxe,175", "dhcp-match=set:ipxe,notanoption");
    await expect(dnsmasqAccepts(broken)).rejects.toMatchObject({ code: "DHCP_CONFIG_INVALID" });
  });

  it("refuses values that would inject configuration lines", () => {
    expect(refusal({ ...dhcp, interface: "br0\nenable-ra" })).toMatch(/interface/);
    expect(refusal({ ...dhcp, domain: "lab.example\nport=53" })).toMatch(/domain/);
    expect(refusal({ ...dhcp, tftpRoot: "/srv/tftp\nuser=root" })).toMatch(/tftpRoot/);
    expect(refusal({ ...dhcp, serverAddress: "192.0.2.1,8.8.8.8" })).toMatch(/serverAddress/);
  });

  it("refuses ranges that cannot work", () => {
    expect(refusal({ ...dhcp, range: { start: "198.51.100.10", end: "198.51.100.20" } })).toMatch(/not on the server's network/);
    expect(refusal({ ...dhcp, range: { start: "192.0.2.1", end: "192.0.2.50" } })).toMatch(/contains the server's own address/);
    expect(refusal({ ...dhcp, range: { start: "192.0.2.200", end: "192.0.2.100" } })).toMatch(/starts after it ends/);
    expect(refusal({ ...dhcp, range: undefined })).toMatch(/needs a dynamic range/);
    expect(refusal({ ...dhcp, netmask: "255.0.255.0" })).toMatch(/contiguous/);
    expect(refusal({ ...dhcp, range: { start: "192.0.2.100", end: "192.0.2.200", leaseTime: "1 hour" } })).toMatch(/lease time/);
    expect(refusal({ ...proxy, network: "198.51.100.0" })).toMatch(/network/);
    expect(refusal({ ...dhcp, mode: "relay" as "dhcp" })).toMatch(/mode/);
  });
});
