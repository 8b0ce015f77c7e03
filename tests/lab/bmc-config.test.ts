/**
 * ipmi_sim's files for a lab BMC: the renderers' output, and a real ipmi_sim started with
 * them answering as the lab needs (its LAN address reported, the admin user, bootdev).
 */
import { execFileSync } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { renderBmcEmulatorCommands, renderBmcLanConfig, renderLanConfigProgram, type BmcLanInput } from "../../lib/lab/bmc-config.ts";
import { prefixToNetmask, randomBmcPassword } from "../../lib/lab/lab-bmc.ts";
import { freeTcpPort, freeUdpPort } from "../helpers/free-port.ts";

const input: BmcLanInput = {
  name: "node0",
  address: "192.0.2.10",
  port: 623,
  serialPort: 9000,
  username: "admin",
  password: "Zq81abcDEF234xyz",
  chassisControl: "/data/lab/node0.bmc/chassis-control.sh",
  lanConfigProgram: "/data/lab/node0.bmc/lan-config.sh",
};

describe("a lab BMC's LAN configuration", () => {
  it("puts channel 1 on the BMC's address, the in-band interface on loopback, and one admin user", () => {
    const text = renderBmcLanConfig(input);
    expect(text).toContain('name "node0"');
    expect(text).toMatch(/^startlan 1\n {2}addr 192\.0\.2\.10 623\n/m);
    expect(text).toContain('  lan_config_program "/data/lab/node0.bmc/lan-config.sh"\nendlan');
    expect(text).toContain("serial 15 127.0.0.1 9000 codec VM");
    expect(text).toContain('chassis_control "/data/lab/node0.bmc/chassis-control.sh"');
    expect(text).toContain('user 2 true "admin" "Zq81abcDEF234xyz" admin 10 none md2 md5 straight');
  });

  it("refuses values that ipmi_sim's quoted strings cannot hold", () => {
    expect(() => renderBmcLanConfig({ ...input, password: 'pw" admin' })).toThrow(/password/);
    expect(() => renderBmcLanConfig({ ...input, password: "a".repeat(17) })).toThrow(/password/);
    expect(() => renderBmcLanConfig({ ...input, chassisControl: '/tmp/x" startnow true' })).toThrow(/chassis control/);
    expect(() => renderBmcLanConfig({ ...input, address: "192.0.2.300" })).toThrow(/address/);
    expect(() => renderBmcLanConfig({ ...input, port: 70_000 })).toThrow(/port/);
  });

  it("defines the management controller without which nothing answers", () => {
    expect(renderBmcEmulatorCommands()).toMatch(/^mc_setbmc 0x20\nmc_add 0x20 .*\nmc_enable 0x20\n$/);
  });

  it("generates 16-character alphanumeric passwords, different each time", () => {
    const passwords = new Set(Array.from({ length: 50 }, randomBmcPassword));
    expect(passwords.size).toBe(50);
    for (const password of passwords) expect(password).toMatch(/^[A-Za-z0-9]{16}$/);
  });

  it("writes netmasks for prefix lengths", () => {
    expect(prefixToNetmask(24)).toBe("255.255.255.0");
    expect(prefixToNetmask(20)).toBe("255.255.240.0");
    expect(prefixToNetmask(32)).toBe("255.255.255.255");
    expect(prefixToNetmask(0)).toBe("0.0.0.0");
  });
});

describe("the LAN configuration program", () => {
  it("answers ipmi_sim's `get` with one PARAM:value line per parameter asked, and refuses `set`", () => {
    const dir = mkdtempSync(join(tmpdir(), "orchestra-lan-config-"));
    try {
      const program = join(dir, "lan-config.sh");
      writeFileSync(program, renderLanConfigProgram({ address: "192.0.2.10", netmask: "255.255.255.0", gateway: "192.0.2.1" }));
      expect(execFileSync("sh", [program, "get", "ip_addr_src", "ip_addr", "subnet_mask", "default_gw_ip_addr", "mac_addr"], { encoding: "utf8" })).toBe(
        "ip_addr_src:static\nip_addr:192.0.2.10\nsubnet_mask:255.255.255.0\ndefault_gw_ip_addr:192.0.2.1\nmac_addr:00:00:00:00:00:00\n",
      );
      expect(() => execFileSync("sh", [program, "set", "ip_addr", "10.0.0.1"], { stdio: "ignore" })).toThrow();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("a real ipmi_sim with these files", () => {
  it("reports the configured address for its LAN channel (not 0.0.0.0) and lets the admin set the boot device", async () => {
    const dir = mkdtempSync(join(tmpdir(), "orchestra-bmc-config-"));
    const port = await freeUdpPort();
    const password = randomBmcPassword();
    const chassisControl = join(dir, "chassis-control.sh");
    const lanConfigProgram = join(dir, "lan-config.sh");
    writeFileSync(chassisControl, '#!/bin/sh\nD=$(dirname "$0")\ncase "$1" in get) echo power:0; echo "boot:$(cat "$D/boot" 2>/dev/null || echo default)";; set) echo "$3" > "$D/$2";; esac\n');
    // On the host the BMC listens on loopback; the program reports the lab's address all the same.
    writeFileSync(lanConfigProgram, renderLanConfigProgram({ address: "192.0.2.10", netmask: "255.255.255.0", gateway: "192.0.2.1" }));
    chmodSync(chassisControl, 0o755);
    chmodSync(lanConfigProgram, 0o755);
    writeFileSync(join(dir, "lan.conf"), renderBmcLanConfig({ ...input, address: "127.0.0.1", port, serialPort: await freeTcpPort(), password, chassisControl, lanConfigProgram }));
    writeFileSync(join(dir, "emu.cmd"), renderBmcEmulatorCommands());
    const sim = execa("ipmi_sim", ["-c", join(dir, "lan.conf"), "-f", join(dir, "emu.cmd"), "-s", join(dir, "state"), "-n"], { reject: false, stdin: "ignore", stdout: "ignore", stderr: "ignore" });
    const ipmitool = (...args: string[]) => execa("ipmitool", ["-I", "lanplus", "-H", "127.0.0.1", "-p", String(port), "-U", "admin", "-E", "-C", "3", "-N", "1", "-R", "2", ...args], { reject: false, env: { IPMI_PASSWORD: password } });
    try {
      let lan = await ipmitool("lan", "print", "1");
      for (let i = 0; i < 50 && !/IP Address {2}/.test(lan.stdout); i++) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        lan = await ipmitool("lan", "print", "1");
      }
      expect(lan.stdout).toMatch(/^IP Address Source\s+: Static Address$/m);
      expect(lan.stdout).toMatch(/^IP Address\s+: 192\.0\.2\.10$/m);
      expect(lan.stdout).toMatch(/^Subnet Mask\s+: 255\.255\.255\.0$/m);
      expect((await ipmitool("chassis", "bootdev", "pxe")).stdout).toContain("Set Boot Device to pxe");
      expect((await ipmitool("chassis", "bootparam", "get", "5")).stdout).toMatch(/Force PXE/);
    } finally {
      sim.kill("SIGTERM");
      const killer = setTimeout(() => sim.kill("SIGKILL"), 5000);
      await sim;
      clearTimeout(killer);
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});
