/**
 * @module power/ipmi
 * IPMI 2.0 over the network with ipmitool (`-I lanplus`). The password travels in the
 * environment (`-E`), never on the command line where every user's `ps` would show it.
 * ipmitool's exit code cannot be trusted (a refused `chassis bootdev` exits 0), so success
 * is read from its output, and failures are mapped to typed errors through one table.
 */
import { execa } from "execa";
import { PowerAuthError, PowerConnectionError, PowerFatalError } from "./power-errors.ts";
import { describeTarget, done, type BootDevice, type PowerActionResult, type PowerDriver, type PowerState, type PowerTarget } from "./power-driver.ts";
import { IPMI_POWER_TYPE } from "./power-types.ts";

/** How one ipmitool failure reads, and what it means. */
interface IpmiErrorRow {
  readonly pattern: RegExp;
  readonly kind: "auth" | "connection";
  readonly cause: string;
}

/** ipmitool's messages (with -v), most specific first. Anything else that failed is a refused command. */
const IPMI_ERRORS: readonly IpmiErrorRow[] = [
  { pattern: /RAKP 2 HMAC is invalid/i, kind: "auth", cause: "wrong password" },
  { pattern: /unauthorized name|invalid user ?name/i, kind: "auth", cause: "unknown user name" },
  { pattern: /Insufficient privilege|privilege level .*(?:exceed|not available)/i, kind: "auth", cause: "the user lacks the privilege for power control" },
  { pattern: /Get Auth Capabilities error|No response from remote controller|Unable to establish IPMI v2/i, kind: "connection", cause: "no answer from the BMC" },
  { pattern: /Address lookup for .* failed|Unknown host|Name or service not known/i, kind: "connection", cause: "cannot resolve the BMC's address" },
];

/** Lines that mean a command failed even when ipmitool exits 0. */
const FAILURE_LINE = /^(?:.*\bfailed:.*|Error.*)$/im;

/** What success looks like for each command. */
const EXPECTED = {
  status: /^Chassis Power is (on|off)$/im,
  on: /^Chassis Power Control: Up\/On$/im,
  off: /^Chassis Power Control: Down\/Off$/im,
  cycle: /^Chassis Power Control: Cycle$/im,
  bootdev: /^Set Boot Device to (pxe|disk)$/im,
} as const;

/** Options of the ipmi driver. */
export interface IpmiDriverOptions {
  /** The ipmitool executable. */
  readonly ipmitool?: string;
  /** Bound on one ipmitool run, in ms. */
  readonly commandTimeoutMs?: number;
  /** ipmitool's own wait for each BMC answer (`-N`, seconds) and its resends (`-R`). */
  readonly answerTimeoutSeconds?: number;
  readonly resends?: number;
}

/** The `ipmi` power driver. */
export class IpmiPowerDriver implements PowerDriver {
  readonly type = IPMI_POWER_TYPE.name;
  readonly packages = ["ipmitool"];
  readonly #ipmitool: string;
  readonly #timeoutMs: number;
  readonly #answerTimeout: string;
  readonly #resends: string;

  constructor(options: IpmiDriverOptions = {}) {
    this.#ipmitool = options.ipmitool ?? "ipmitool";
    this.#timeoutMs = options.commandTimeoutMs ?? 20_000;
    this.#answerTimeout = String(options.answerTimeoutSeconds ?? 1);
    this.#resends = String(options.resends ?? 2);
  }

  async powerOn(target: PowerTarget): Promise<PowerActionResult> {
    await this.#run(target, ["chassis", "power", "on"], EXPECTED.on);
    return done(`powered on ${describeTarget(target)} through its BMC`);
  }

  async powerOff(target: PowerTarget): Promise<PowerActionResult> {
    await this.#run(target, ["chassis", "power", "off"], EXPECTED.off);
    return done(`powered off ${describeTarget(target)} through its BMC`);
  }

  async powerCycle(target: PowerTarget): Promise<PowerActionResult> {
    // The IPMI spec lets a BMC refuse "cycle" while the chassis is off: power that on instead.
    if ((await this.queryPower(target)) === "off") return this.powerOn(target);
    await this.#run(target, ["chassis", "power", "cycle"], EXPECTED.cycle);
    return done(`power-cycled ${describeTarget(target)} through its BMC`);
  }

  async queryPower(target: PowerTarget): Promise<PowerState> {
    const match = await this.#run(target, ["chassis", "power", "status"], EXPECTED.status);
    return match[1]!.toLowerCase() === "on" ? "on" : "off";
  }

  async setBootDevice(target: PowerTarget, device: BootDevice): Promise<PowerActionResult> {
    await this.#run(target, ["chassis", "bootdev", device], EXPECTED.bootdev);
    return done(`${describeTarget(target)} boots from ${device} next`);
  }

  /** Run one ipmitool command; returns the success pattern's match or throws a typed error. */
  async #run(target: PowerTarget, command: readonly string[], expected: RegExp): Promise<RegExpExecArray> {
    const { address, port = "623", username, password } = target.params;
    if (!address) throw new PowerFatalError(`ipmi power of ${describeTarget(target)} has no BMC address`, {}, { code: "INVALID_POWER_PARAMETER" });
    const argv = ["-I", "lanplus", "-H", address, "-p", port, "-C", "3", "-N", this.#answerTimeout, "-R", this.#resends, "-v"];
    if (username !== undefined) argv.push("-U", username);
    argv.push("-E", ...command);
    const bmc = `BMC ${address}:${port}`;
    const result = await execa(this.#ipmitool, argv, {
      reject: false,
      stdin: "ignore",
      timeout: this.#timeoutMs,
      env: { IPMI_PASSWORD: password ?? "" },
    });
    const spawnCode = (result as { code?: string }).code ?? ((result.cause as NodeJS.ErrnoException | undefined)?.code);
    if (spawnCode === "ENOENT") {
      throw new PowerFatalError(`${this.#ipmitool} is not installed (Debian package ipmitool)`, { tool: this.#ipmitool }, { code: "POWER_TOOL_MISSING" });
    }
    if (result.timedOut) throw new PowerConnectionError(`${bmc}: ipmitool ${command.join(" ")} did not finish within ${this.#timeoutMs / 1000} s`, { bmc });
    const output = `${String(result.stdout ?? "")}\n${String(result.stderr ?? "")}`;
    const match = expected.exec(output);
    const failure = FAILURE_LINE.exec(output);
    if (match && !failure) return match;
    for (const row of IPMI_ERRORS) {
      const line = row.pattern.exec(output);
      if (!line) continue;
      const message = `${bmc} ${command.join(" ")}: ${row.cause} (ipmitool: ${line[0].trim()})`;
      if (row.kind === "auth") throw new PowerAuthError(message, { bmc, username });
      throw new PowerConnectionError(message, { bmc });
    }
    const said = failure?.[0].trim() ?? (output.trim().split("\n").at(-1) || `exit code ${result.exitCode}`);
    throw new PowerFatalError(`${bmc} refused ${command.join(" ")} (ipmitool: ${said})`, { bmc, exitCode: result.exitCode });
  }
}
