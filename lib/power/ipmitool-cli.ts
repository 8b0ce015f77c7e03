/**
 * @module power/ipmitool-cli
 * ipmitool (`-I lanplus -C 3`), the preferred IPMI tool. The password travels in the
 * environment (`-E`). Its exit code cannot be trusted (a refused `chassis bootdev` exits 0),
 * so success is read from its output and anything else is a failure, typed by IPMITOOL_ERRORS.
 */
import { raiseFor, runTool, type BmcAccess, type IpmiCli, type IpmiTimeouts, type ToolErrorRow } from "./ipmi-cli.ts";
import type { BootDevice } from "./power-driver.ts";

/** ipmitool's messages (with -v), most specific first. */
export const IPMITOOL_ERRORS: readonly ToolErrorRow[] = [
  { pattern: /RAKP 2 HMAC is invalid/i, kind: "auth", cause: "wrong password" },
  { pattern: /unauthorized name|invalid user ?name/i, kind: "auth", cause: "unknown user name" },
  { pattern: /Insufficient privilege|privilege level .*(?:exceed|not available)/i, kind: "auth", cause: "the user lacks the privilege for power control" },
  { pattern: /Get Auth Capabilities error|No response from remote controller|Unable to establish IPMI v2/i, kind: "connection", cause: "no answer from the BMC" },
  { pattern: /Address lookup for .* failed|Unknown host|Name or service not known/i, kind: "connection", cause: "cannot resolve the BMC's address" },
];

/** Lines that mean a command failed even when ipmitool exits 0. */
const FAILURE_LINE = /^(?:.*\bfailed:.*|Error.*)$/im;

const EXPECTED = {
  status: /^Chassis Power is (on|off)$/im,
  on: /^Chassis Power Control: Up\/On$/im,
  off: /^Chassis Power Control: Down\/Off$/im,
  cycle: /^Chassis Power Control: Cycle$/im,
  bootdev: /^Set Boot Device to (pxe|disk)$/im,
} as const;

/** ipmitool as an IpmiCli. */
export class IpmitoolCli implements IpmiCli {
  readonly package = "ipmitool";
  readonly #tool: string;
  readonly #timeouts: IpmiTimeouts;

  constructor(tool: string, timeouts: IpmiTimeouts) {
    this.#tool = tool;
    this.#timeouts = timeouts;
  }

  async status(bmc: BmcAccess): Promise<"on" | "off"> {
    const match = await this.#run(bmc, ["chassis", "power", "status"], EXPECTED.status);
    return match[1]!.toLowerCase() === "on" ? "on" : "off";
  }

  async power(bmc: BmcAccess, action: "on" | "off" | "cycle"): Promise<void> {
    await this.#run(bmc, ["chassis", "power", action], EXPECTED[action]);
  }

  async bootdev(bmc: BmcAccess, device: BootDevice): Promise<void> {
    await this.#run(bmc, ["chassis", "bootdev", device], EXPECTED.bootdev);
  }

  async #run(bmc: BmcAccess, command: readonly string[], expected: RegExp): Promise<RegExpExecArray> {
    const where = `BMC ${bmc.address}:${bmc.port}`;
    const argv = ["-I", "lanplus", "-H", bmc.address, "-p", bmc.port, "-C", "3", "-N", String(this.#timeouts.answerSeconds), "-R", String(this.#timeouts.resends), "-v"];
    if (bmc.username !== undefined) argv.push("-U", bmc.username);
    argv.push("-E", ...command);
    const { exitCode, output } = await runTool(this.#tool, argv, this.#timeouts.commandMs, where, { IPMI_PASSWORD: bmc.password ?? "" }, this.#timeouts.prefix);
    const match = expected.exec(output);
    const failure = FAILURE_LINE.exec(output);
    if (match && !failure) return match;
    const said = `ipmitool: ${failure?.[0].trim() ?? (output.trim().split("\n").at(-1) || `exit code ${exitCode}`)}`;
    return raiseFor(output, IPMITOOL_ERRORS, command.join(" "), where, said, bmc.username);
  }
}
