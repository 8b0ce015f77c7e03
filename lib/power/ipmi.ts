/**
 * @module power/ipmi
 * IPMI 2.0 over the network (lanplus). ipmitool is preferred; where only FreeIPMI is
 * installed, its tools are used instead. Each tool's output is parsed in its own file
 * (ipmitool-cli.ts, freeipmi-cli.ts) and mapped to typed errors through its own table.
 */
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";
import type { BmcAccess, IpmiCli, IpmiTimeouts } from "./ipmi-cli.ts";
import { FreeIpmiCli } from "./freeipmi-cli.ts";
import { IpmitoolCli } from "./ipmitool-cli.ts";
import { PowerFatalError } from "./power-errors.ts";
import { describeTarget, done, type BootDevice, type PowerActionResult, type PowerDriver, type PowerState, type PowerTarget } from "./power-driver.ts";
import { IPMI_POWER_TYPE } from "./power-types.ts";

/** Options of the ipmi driver. */
export interface IpmiDriverOptions {
  /** Which tool: ipmitool, FreeIPMI, or (default) ipmitool when installed, else FreeIPMI. */
  readonly tool?: "ipmitool" | "freeipmi" | "auto";
  /** The ipmitool executable (default: found on PATH). */
  readonly ipmitool?: string;
  /** Where FreeIPMI's tools are (default /usr/sbin). */
  readonly freeipmiSbin?: string;
  /** Bound on one tool run, in ms. */
  readonly commandTimeoutMs?: number;
  /** The tool's own wait for each BMC answer (seconds) and its resends. */
  readonly answerTimeoutSeconds?: number;
  readonly resends?: number;
  /** Run the tool through this argv prefix, e.g. `["ip", "netns", "exec", NS]` for BMCs inside a network namespace. */
  readonly commandPrefix?: readonly string[];
}

function onPath(name: string): boolean {
  return (process.env.PATH ?? "").split(delimiter).some((dir) => {
    try {
      accessSync(join(dir, name), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** The `ipmi` power driver. */
export class IpmiPowerDriver implements PowerDriver {
  readonly type = IPMI_POWER_TYPE.name;
  readonly packages: readonly string[];
  readonly #cli: IpmiCli;

  constructor(options: IpmiDriverOptions = {}) {
    const timeouts: IpmiTimeouts = { commandMs: options.commandTimeoutMs ?? 20_000, answerSeconds: options.answerTimeoutSeconds ?? 1, resends: options.resends ?? 2, ...(options.commandPrefix ? { prefix: options.commandPrefix } : {}) };
    const ipmitool = options.ipmitool ?? "ipmitool";
    const sbin = options.freeipmiSbin ?? "/usr/sbin";
    const tool = options.tool ?? "auto";
    const useFreeipmi = tool === "freeipmi" || (tool === "auto" && options.ipmitool === undefined && !onPath("ipmitool") && onPath("ipmipower"));
    this.#cli = useFreeipmi ? new FreeIpmiCli(sbin, timeouts) : new IpmitoolCli(ipmitool, timeouts);
    this.packages = [this.#cli.package];
  }

  async powerOn(target: PowerTarget): Promise<PowerActionResult> {
    await this.#cli.power(bmcOf(target), "on");
    return done(`powered on ${describeTarget(target)} through its BMC`);
  }

  async powerOff(target: PowerTarget): Promise<PowerActionResult> {
    await this.#cli.power(bmcOf(target), "off");
    return done(`powered off ${describeTarget(target)} through its BMC`);
  }

  async powerCycle(target: PowerTarget): Promise<PowerActionResult> {
    // The IPMI spec lets a BMC ignore or refuse "cycle" while the chassis is off: power it on instead.
    if ((await this.queryPower(target)) === "off") return this.powerOn(target);
    await this.#cli.power(bmcOf(target), "cycle");
    return done(`power-cycled ${describeTarget(target)} through its BMC`);
  }

  async queryPower(target: PowerTarget): Promise<PowerState> {
    return this.#cli.status(bmcOf(target));
  }

  async setBootDevice(target: PowerTarget, device: BootDevice): Promise<PowerActionResult> {
    await this.#cli.bootdev(bmcOf(target), device);
    return done(`${describeTarget(target)} boots from ${device} next`);
  }
}

function bmcOf(target: PowerTarget): BmcAccess {
  const { address, port = "623", username, password } = target.params;
  if (!address) throw new PowerFatalError(`ipmi power of ${describeTarget(target)} has no BMC address`, {}, { code: "INVALID_POWER_PARAMETER" });
  return { address, port, ...(username !== undefined ? { username } : {}), ...(password !== undefined ? { password } : {}) };
}
