import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { dhcpPaths } from "../../../lib/boot/dhcp-service.ts";
import { writeDhcpHost } from "../../../lib/boot/dhcp-host-file.ts";
import { charmHarness, configured, type CharmHarness } from "../charm-harness.ts";

let h: CharmHarness;
beforeEach(() => { h = charmHarness(); });
afterEach(() => h.cleanup());

describe("network boot from a deployed unit", () => {
  it("fills dnsmasq's TFTP root with the iPXE loaders its configuration names", async () => {
    await h.ctx.run(h.ctx.on.install(), configured({ leader: true, config: { components: "dnsmasq" } }));
    const conf = h.read("/etc/dnsmasq.d/orchestra.conf");
    const tftpRoot = /^tftp-root=(.*)$/m.exec(conf)![1]!;
    const loaders = [...conf.matchAll(/(?:dhcp-boot=tag:!ipxe[^\n]*,|pxe-service=tag:!ipxe,[^\n]*",)([A-Za-z0-9_.-]+\.(?:kpxe|efi))$/gm)].map((m) => m[1]!);
    expect(new Set(loaders)).toEqual(new Set(["undionly.kpxe", "snponly.efi"]));
    for (const loader of loaders) {
      // The very bytes of Debian's ipxe package.
      expect(readFileSync(join(h.root, tftpRoot, loader)).equals(readFileSync(`/usr/lib/ipxe/${loader}`))).toBe(true);
    }
  });

  it("points dhcp-hostsdir at the directory the library writes per-MAC files to", async () => {
    await h.ctx.run(h.ctx.on.install(), configured({ leader: true, config: { components: "dnsmasq", "dhcp-mode": "full", "dhcp-range": "10.10.0.100,10.10.0.200" } }));
    const conf = h.read("/etc/dnsmasq.d/orchestra.conf");
    const { hostsDir, tftpRoot } = dhcpPaths("/var/lib/orchestra");
    expect(conf).toContain(`dhcp-hostsdir=${hostsDir}\n`);
    expect(conf).toContain(`tftp-root=${tftpRoot}\n`);
    expect(h.exists(hostsDir)).toBe(true);
    // Real dnsmasq accepts the drop-in with a host file the library wrote, paths under the test root.
    await writeDhcpHost(join(h.root, hostsDir), { mac: "52:54:00:12:34:56", hostname: "node-1", address: "10.10.0.150" });
    const rooted = conf.replace(/=\/var\/lib\/orchestra/g, `=${h.root}/var/lib/orchestra`);
    const file = join(h.root, "rooted-dnsmasq.conf");
    await import("node:fs").then((fs) => fs.writeFileSync(file, rooted));
    const check = await execa("dnsmasq", ["--test", "--conf-file=" + file], { reject: false });
    expect(check.stderr).toContain("syntax check OK");
  });
});
