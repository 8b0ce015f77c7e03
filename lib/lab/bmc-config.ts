/**
 * @module lab/bmc-config
 * ipmi_sim's files for one lab BMC, rendered by pure functions: the LAN configuration
 * (`-c`), the emulator command file (`-f`) and the LAN configuration program, which answers
 * ipmi_sim's questions about the LAN channel's parameters. Without that program ipmi_sim
 * reports 0.0.0.0 as the channel's IP address, and a machine asking its BMC in-band
 * (`ipmitool lan print 1`) could not tell where the BMC is reachable.
 */
import { shellQuote } from "./chassis-control.ts";

/** One BMC's settings. */
export interface BmcLanInput {
  /** ipmi_sim's name for the BMC (its persisted state lives under it). */
  readonly name: string;
  readonly address: string;
  readonly port: number;
  /** ipmi_sim's listener for the VM's in-band interface (qemu's ipmi-bmc-extern connects to it); none without a VM. */
  readonly serialPort?: number;
  readonly username: string;
  readonly password: string;
  readonly chassisControl: string;
  /** What answers the LAN channel's parameters (its address); without it ipmi_sim says 0.0.0.0. */
  readonly lanConfigProgram?: string;
}

const IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)$/;
// ipmi_sim reads quoted strings without escapes: anything else would end the string early.
const CONFIG_WORD = /^[A-Za-z0-9._-]{1,16}$/;
const CONFIG_PATH = /^\/[A-Za-z0-9._+\/-]+$/;

function check(what: string, value: string, pattern: RegExp): string {
  if (!pattern.test(value)) throw new Error(`BMC ${what} ${JSON.stringify(value)} cannot go in ipmi_sim's configuration`);
  return value;
}

function port(what: string, value: number): number {
  if (!Number.isInteger(value) || value < 1 || value > 65_535) throw new Error(`BMC ${what} ${value} is not a port`);
  return value;
}

/** The LAN configuration file: channel 1 on `address:port`, the in-band interface, one admin user. */
export function renderBmcLanConfig(input: BmcLanInput): string {
  return [
    `name "${check("name", input.name, CONFIG_WORD)}"`,
    "set_working_mc 0x20",
    "startlan 1",
    `  addr ${check("address", input.address, IPV4)} ${port("port", input.port)}`,
    "  priv_limit admin",
    "  allowed_auths_callback none md2 md5 straight",
    "  allowed_auths_user none md2 md5 straight",
    "  allowed_auths_operator none md2 md5 straight",
    "  allowed_auths_admin none md2 md5 straight",
    "  guid a123456789abcdefa123456789abcdef",
    ...(input.lanConfigProgram === undefined ? [] : [`  lan_config_program "${check("LAN config program", input.lanConfigProgram, CONFIG_PATH)}"`]),
    "endlan",
    // Channel 15, the system interface: what the guest's ipmi_si driver talks to, through qemu.
    ...(input.serialPort === undefined ? [] : [`serial 15 127.0.0.1 ${port("serial port", input.serialPort)} codec VM`]),
    `chassis_control "${check("chassis control program", input.chassisControl, CONFIG_PATH)}"`,
    `user 2 true "${check("user name", input.username, CONFIG_WORD)}" "${check("password", input.password, CONFIG_WORD)}" admin 10 none md2 md5 straight`,
    "",
  ].join("\n");
}

/** The emulator commands: without a management controller defined, nothing answers. */
export function renderBmcEmulatorCommands(): string {
  return "mc_setbmc 0x20\nmc_add 0x20 0 no-device-sdrs 0x23 9 8 0x9f 0x1291 0xf02 persist_sdr\nmc_enable 0x20\n";
}

/** The LAN configuration program's input: what the channel's parameters say. */
export interface LanConfigProgramInput {
  readonly address: string;
  readonly netmask: string;
  readonly gateway: string;
}

/**
 * The LAN configuration program: ipmi_sim runs it as `get PARAM...` and reads `PARAM:value`
 * lines. The addresses are static; changing them (`set`) is refused: the lab owns them.
 */
export function renderLanConfigProgram(input: LanConfigProgramInput): string {
  const values: Record<string, string> = {
    ip_addr_src: "static",
    ip_addr: check("address", input.address, IPV4),
    subnet_mask: check("netmask", input.netmask, IPV4),
    default_gw_ip_addr: check("gateway", input.gateway, IPV4),
    // ipmi_sim answers on the bridge's own MAC; nothing else would be true, so these say "unknown".
    mac_addr: "00:00:00:00:00:00",
    default_gw_mac_addr: "00:00:00:00:00:00",
    backup_gw_ip_addr: "0.0.0.0",
    backup_gw_mac_addr: "00:00:00:00:00:00",
  };
  const cases = Object.entries(values).map(([name, value]) => `  ${name}) echo ${shellQuote(`${name}:${value}`)} ;;`);
  return `#!/bin/sh
# Orchestra lab: ipmi_sim's lan_config_program. Generated; do not edit.
[ "$1" = get ] || exit 1
shift
for parameter in "$@"; do
  case "$parameter" in
${cases.join("\n")}
  esac
done
`;
}
