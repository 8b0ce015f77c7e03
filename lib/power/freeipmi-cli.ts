/**
 * @module power/freeipmi-cli
 * FreeIPMI (`ipmipower`, `ipmi-chassis-config`), used where ipmitool is not installed.
 * The password goes in a configuration file readable only by us, removed after the run.
 * `-W opensesspriv` is needed by some BMCs (ipmi_sim among them). The boot device is set
 * with ipmi-chassis-config: `ipmi-chassis --set-boot-flags` exits 0 and changes nothing.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { raiseFor, runTool, type BmcAccess, type IpmiCli, type IpmiTimeouts, type ToolErrorRow } from "./ipmi-cli.ts";
import type { BootDevice } from "./power-driver.ts";

/** FreeIPMI's messages, most specific first. */
export const FREEIPMI_ERRORS: readonly ToolErrorRow[] = [
  { pattern: /password invalid/i, kind: "auth", cause: "wrong password" },
  { pattern: /username invalid/i, kind: "auth", cause: "unknown user name" },
  { pattern: /privilege level (?:insufficient|cannot be obtained)/i, kind: "auth", cause: "the user lacks the privilege for power control" },
  { pattern: /connection timeout|session timeout|BMC busy/i, kind: "connection", cause: "no answer from the BMC" },
  { pattern: /hostname invalid|host(?:name)? not found/i, kind: "connection", cause: "cannot resolve the BMC's address" },
];

const BOOT_DEVICE: Record<BootDevice, string> = { pxe: "PXE", disk: "HARD-DRIVE" };

/** FreeIPMI as an IpmiCli; `sbin` is where its tools live. */
export class FreeIpmiCli implements IpmiCli {
  readonly package = "freeipmi-tools";
  readonly #sbin: string;
  readonly #timeouts: IpmiTimeouts;

  constructor(sbin: string, timeouts: IpmiTimeouts) {
    this.#sbin = sbin;
    this.#timeouts = timeouts;
  }

  async status(bmc: BmcAccess): Promise<"on" | "off"> {
    const answer = await this.#ipmipower(bmc, "--stat", /^\S+: (on|off)$/m);
    return answer[1] === "on" ? "on" : "off";
  }

  async power(bmc: BmcAccess, action: "on" | "off" | "cycle"): Promise<void> {
    await this.#ipmipower(bmc, `--${action}`, /^\S+: ok$/m);
  }

  async bootdev(bmc: BmcAccess, device: BootDevice): Promise<void> {
    const what = `boot device ${device}`;
    await this.#withConfig(bmc, async (argv, where) => {
      const { exitCode, output } = await runTool(join(this.#sbin, "ipmi-chassis-config"), [...argv, "--commit", "-e", `Chassis_Boot_Flags:Boot_Device=${BOOT_DEVICE[device]}`], this.#timeouts.commandMs, where, {}, this.#timeouts.prefix);
      if (exitCode === 0 && !/ERROR/.test(output)) return;
      raiseFor(output, FREEIPMI_ERRORS, what, where, `ipmi-chassis-config: ${output.trim().split("\n")[0] || `exit code ${exitCode}`}`, bmc.username);
    });
  }

  async #ipmipower(bmc: BmcAccess, flag: string, expected: RegExp): Promise<RegExpExecArray> {
    return this.#withConfig(bmc, async (argv, where) => {
      const { exitCode, output } = await runTool(join(this.#sbin, "ipmipower"), [...argv, flag], this.#timeouts.commandMs, where, {}, this.#timeouts.prefix);
      const match = expected.exec(output);
      if (exitCode === 0 && match) return match;
      return raiseFor(output, FREEIPMI_ERRORS, `ipmipower ${flag}`, where, `ipmipower: ${output.trim().split("\n")[0] || `exit code ${exitCode}`}`, bmc.username);
    });
  }

  /** Run `work` with the common arguments and a private config file holding the password. */
  async #withConfig<T>(bmc: BmcAccess, work: (argv: string[], where: string) => Promise<T>): Promise<T> {
    const dir = mkdtempSync(join(tmpdir(), "orchestra-freeipmi-"));
    try {
      const config = join(dir, "freeipmi.conf");
      writeFileSync(config, `password ${bmc.password ?? ""}\n`, { mode: 0o600 });
      const timeoutMs = String(this.#timeouts.answerSeconds * 1000);
      const argv = ["-h", `${bmc.address}:${bmc.port}`, "-D", "LAN_2_0", "-W", "opensesspriv", `--config-file=${config}`, `--retransmission-timeout=${timeoutMs}`, `--session-timeout=${Number(timeoutMs) * (this.#timeouts.resends + 1)}`];
      if (bmc.username !== undefined) argv.push("-u", bmc.username);
      return await work(argv, `BMC ${bmc.address}:${bmc.port}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}
