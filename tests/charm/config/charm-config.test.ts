import { describe, expect, it } from "vitest";
import { parseCharmConfig } from "../../../charm/config/charm-config.ts";

const DEFAULTS = {
  components: "dnsmasq squid rsyslog puppetserver nginx", "provisioning-interface": "eth1", "provisioning-subnet": "10.10.0.0/24",
  "dhcp-range": "", "dhcp-mode": "proxy", "dns-domain": "orchestra.lan", "auto-accept": false, region: "orchestra",
  "listen-address": "0.0.0.0", "ec2-port": 8773, "boot-port": 5248, "apt-proxy-port": 8000, "image-sources": "",
  "github-puppet-repository": "", "github-token": "", "log-level": "info",
};

describe("parseCharmConfig", () => {
  it("types a good config", () => {
    const parsed = parseCharmConfig({ ...DEFAULTS, "dhcp-mode": "full", "dhcp-range": "10.10.0.10, 10.10.0.20", "image-sources": "http://a/ https://b/", "dns-domain": "Lab.Example" });
    expect(parsed).toEqual({ ok: true, config: expect.objectContaining({
      components: ["dnsmasq", "squid", "rsyslog", "puppetserver", "nginx"],
      provisioningSubnet: { network: "10.10.0.0", prefix: 24 },
      dhcpRange: { first: "10.10.0.10", last: "10.10.0.20" },
      dhcpMode: "full", dnsDomain: "lab.example", imageSources: ["http://a/", "https://b/"],
    }) });
  });

  it("needs no interface or subnet when DHCP is off or dnsmasq is not wanted", () => {
    expect(parseCharmConfig({ ...DEFAULTS, "provisioning-interface": "", "provisioning-subnet": "", "dhcp-mode": "off" }).ok).toBe(true);
    expect(parseCharmConfig({ ...DEFAULTS, "provisioning-interface": "", "provisioning-subnet": "", components: "squid" }).ok).toBe(true);
  });

  it("collects every problem at once", () => {
    const parsed = parseCharmConfig({ ...DEFAULTS, "provisioning-interface": "", "dns-domain": "-bad-", region: "Bad Region", "log-level": "loud", "image-sources": "ftp://x" });
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.problems).toEqual([
      "set provisioning-interface (the NIC facing the machines) or dhcp-mode=off",
      "dns-domain \"-bad-\" is not a DNS domain",
      "region \"Bad Region\" must be lowercase letters, digits and dashes",
      "image-sources: \"ftp://x\" is not an http(s) URL",
      "log-level must be one of trace, debug, info, warn, error (got \"loud\")",
    ]);
  });

  it.each([
    [{ "provisioning-subnet": "10.10.0.0/33" }, "IPv4 CIDR"],
    [{ "provisioning-subnet": "300.1.1.0/24" }, "IPv4 CIDR"],
    [{ "dhcp-range": "10.10.0.20,10.10.0.10" }, "in order"],
    [{ "dhcp-range": "10.10.0.20" }, "first,last"],
    [{ "apt-proxy-port": 8773 }, "must differ"],
    [{ "auto-accept": "yes" }, "auto-accept must be true or false"],
    [{ "provisioning-interface": "eth0; reboot" }, "is not an interface name"],
    [{ "listen-address": "localhost" }, "listen-address must be an IPv4 address"],
  ])("refuses %j", (bad, text) => {
    const parsed = parseCharmConfig({ ...DEFAULTS, ...bad });
    expect(parsed.ok).toBe(false);
    expect(parsed.ok ? "" : parsed.problems.join("\n")).toContain(text);
  });
});
