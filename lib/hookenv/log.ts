/**
 * @module hookenv/log
 * juju-log: the unit's log, which `juju debug-log` shows (stdout only reaches DEBUG).
 */
import { runTool } from "./run-tool.ts";

/** The levels juju-log accepts. */
export type LogLevel = "DEBUG" | "INFO" | "WARNING" | "ERROR";

/** Writes one line to the unit's Juju log. */
export async function jujuLog(message: string, level: LogLevel = "INFO"): Promise<void> {
  // "--" so a message that starts with "-" is never taken for a flag.
  await runTool(["juju-log", "--log-level", level, "--", message]);
}
