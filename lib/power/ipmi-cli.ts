/**
 * @module power/ipmi-cli
 * What the ipmi driver needs from an IPMI command-line tool, and the parts both tools share:
 * one bounded run, and the mapping of tool output to typed errors through a table.
 */
// execa is loaded on the first run of a tool, not with the module: `orchestra serve` loads every
// power driver at start, and execa (110 modules, about 3 MiB of heap) waits until one is used.
import { PowerAuthError, PowerConnectionError, PowerFatalError } from "./power-errors.ts";
import type { BootDevice } from "./power-driver.ts";

/** How to reach one BMC. The password is a secret: never put it on a command line. */
export interface BmcAccess {
  readonly address: string;
  readonly port: string;
  readonly username?: string;
  readonly password?: string;
}

/** One IPMI tool (ipmitool or freeipmi), as the driver uses it. */
export interface IpmiCli {
  /** The Debian package the tool comes from. */
  readonly package: string;
  status(bmc: BmcAccess): Promise<"on" | "off">;
  power(bmc: BmcAccess, action: "on" | "off" | "cycle"): Promise<void>;
  bootdev(bmc: BmcAccess, device: BootDevice): Promise<void>;
}

/** Bounds on one tool run. */
export interface IpmiTimeouts {
  /** The whole run, in ms. */
  readonly commandMs: number;
  /** The tool's own wait for each BMC answer, in seconds, and its resends. */
  readonly answerSeconds: number;
  readonly resends: number;
  /** An argv prefix the tool runs through (`ip netns exec NS` reaches a BMC inside a network namespace). */
  readonly prefix?: readonly string[];
}

/** A line of a tool's output that means a failure of a known kind. */
export interface ToolErrorRow {
  readonly pattern: RegExp;
  readonly kind: "auth" | "connection";
  readonly cause: string;
}

/** What one run printed. */
export interface ToolRun {
  readonly exitCode: number | undefined;
  readonly output: string;
}

/**
 * Run `tool argv` once, bounded; a missing tool and a timeout become typed errors. A
 * non-empty `prefix` runs the tool through another command (`ip netns exec NS`, say).
 */
export async function runTool(tool: string, argv: readonly string[], timeoutMs: number, bmc: string, env: Record<string, string> = {}, prefix: readonly string[] = []): Promise<ToolRun> {
  const [file, ...args] = [...prefix, tool, ...argv];
  const { execa } = await import("execa");
  const result = await execa(file!, args, { reject: false, stdin: "ignore", timeout: timeoutMs, env });
  const spawnCode = (result as { code?: string }).code ?? (result.cause as NodeJS.ErrnoException | undefined)?.code;
  if (spawnCode === "ENOENT") throw new PowerFatalError(`${tool} is not installed`, { tool }, { code: "POWER_TOOL_MISSING" });
  if (result.timedOut) throw new PowerConnectionError(`${bmc}: ${tool} did not finish within ${timeoutMs / 1000} s`, { bmc });
  return { exitCode: result.exitCode, output: `${String(result.stdout ?? "")}\n${String(result.stderr ?? "")}` };
}

/** Throw the typed error `table` names for `output`, else a refused command quoting `said`. */
export function raiseFor(output: string, table: readonly ToolErrorRow[], what: string, bmc: string, said: string, username?: string): never {
  for (const row of table) {
    const line = row.pattern.exec(output);
    if (!line) continue;
    const message = `${bmc} ${what}: ${row.cause} (${line[0].trim()})`;
    if (row.kind === "auth") throw new PowerAuthError(message, { bmc, username });
    throw new PowerConnectionError(message, { bmc });
  }
  throw new PowerFatalError(`${bmc} refused ${what} (${said})`, { bmc });
}
