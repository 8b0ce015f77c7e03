import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { dhcpHostFileName, removeDhcpHost, renderDhcpHost, writeDhcpHost } from "../../lib/boot/dhcp-host-file.ts";

const dir = mkdtempSync(join(tmpdir(), "orchestra-hosts-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("per-MAC DHCP host files", () => {
  it("renders dnsmasq's dhcp-host fields in canonical MAC form", () => {
    expect(renderDhcpHost({ mac: "52-54-00-AB-CD-EF" })).toBe("52:54:00:ab:cd:ef\n");
    expect(renderDhcpHost({ mac: "52:54:00:ab:cd:ef", address: "192.0.2.10", hostname: "node-abc.lab.example" })).toBe("52:54:00:ab:cd:ef,192.0.2.10,node-abc\n");
    expect(renderDhcpHost({ mac: "52:54:00:ab:cd:ef", hostname: "x", ignore: true })).toBe("52:54:00:ab:cd:ef,ignore\n");
  });

  it("refuses bad input rather than writing it", () => {
    expect(() => renderDhcpHost({ mac: "ff:ff:ff:ff:ff:ff" })).toThrow(/multicast or broadcast/);
    expect(() => renderDhcpHost({ mac: "52:54:00:ab:cd:ef", address: "192.0.2.300" })).toThrow(/invalid address/);
    expect(() => renderDhcpHost({ mac: "52:54:00:ab:cd:ef", hostname: "bad_name\nignore" })).toThrow(/invalid hostname/);
  });

  it("writes one file per MAC, replaces it atomically and leaves no temporary files", async () => {
    await writeDhcpHost(dir, { mac: "52:54:00:00:00:01", hostname: "one" });
    await writeDhcpHost(dir, { mac: "52:54:00:00:00:02", hostname: "two" });
    await writeDhcpHost(dir, { mac: "52:54:00:00:00:01", hostname: "uno" });
    expect(readdirSync(dir).sort()).toEqual(["52-54-00-00-00-01", "52-54-00-00-00-02"]);
    expect(readFileSync(join(dir, dhcpHostFileName("52:54:00:00:00:01")), "utf8")).toBe("52:54:00:00:00:01,uno\n");
    await removeDhcpHost(dir, "52:54:00:00:00:02");
    expect(readdirSync(dir)).toEqual(["52-54-00-00-00-01"]);
  });
});
