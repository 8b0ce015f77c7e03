/**
 * @module cli/log-options
 * The log options every long-running command takes (`serve`, `fanout tracker`): declared and
 * checked in one place, so each daemon refuses a bad level or format the same way before it
 * starts. Building the logger stays with the command, which loads pino only when it runs.
 */
import type { Command } from "commander";
import { OrchestraError } from "../errors.ts";

export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error"] as const;

/** Add --log-level and --log-format to a command. */
export function addLogOptions(command: Command): Command {
  return command
    .option("--log-level <level>", "trace, debug, info, warn or error", "info")
    .option("--log-format <format>", "text (for people) or json (for journald and log shippers); default: text on a terminal, else json");
}

/** Check the parsed log options; the format to use (text on a terminal when none was given). */
export function checkLogOptions(o: { logLevel?: string; logFormat?: string }): "text" | "json" {
  if (!(LOG_LEVELS as readonly string[]).includes(o.logLevel ?? "")) throw new OrchestraError("INVALID_ARGUMENT", `invalid --log-level ${JSON.stringify(o.logLevel)}: ${LOG_LEVELS.join(", ")}`);
  const logFormat = o.logFormat ?? (process.stderr.isTTY ? "text" : "json");
  if (logFormat !== "text" && logFormat !== "json") throw new OrchestraError("INVALID_ARGUMENT", `invalid --log-format ${JSON.stringify(o.logFormat)}: text or json`);
  return logFormat;
}
