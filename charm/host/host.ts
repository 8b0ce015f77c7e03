/**
 * @module charm/host/host
 * The machine the charm configures, as the workload modules see it: a filesystem root
 * (`/` on a unit, a temp dir in tests) and a way to run commands. Nothing here knows Juju.
 */
import { join } from "node:path";
import { existsSync } from "node:fs";
import { execa } from "execa";
import { OrchestraError } from "../../lib/errors.ts";

/** How services are started: systemd when it runs, else Debian's init scripts and pid files. */
export type ServiceManagerKind = "systemd" | "direct";

/** The machine under the charm. */
export interface Host {
  /** The filesystem root every path is taken under. */
  readonly root: string;
  readonly serviceManager: ServiceManagerKind;
  /** An absolute path on the host, under root. */
  path(absolute: string): string;
  /** Runs a command (argv, never a shell string); throws COMMAND_FAILED when it fails. */
  run(argv: readonly string[], options?: { env?: Record<string, string>; input?: string; timeoutMs?: number }): Promise<string>;
  /** Runs a command that may fail; reports whether it exited 0 and what it printed. */
  tryRun(argv: readonly string[]): Promise<{ ok: boolean; stdout: string; stderr: string }>;
}

// What systemd itself says about a unit; the daemon's own lines say why it failed.
const SYSTEMD_LINE = /^(\S+\.(service|socket): |(Starting|Started|Stopping|Stopped|Finished|Failed to start|Reloading|Reloaded|Synchronizing state|Executing: |Job for |See "systemctl)\b)/;
const ERROR_LINE = /\b(E:|error|fail|refus|denied|invalid|bad|cannot|can't|unable|inaccessible|not found|no such)/i;

/**
 * The line of a command's output that says why it failed: apt's first `E:` line, else the
 * first error-like line that is not systemd talking about the unit, else the last line.
 */
export function failureCause(output: string): string {
  const lines = output.split("\n").map((l) => l.trim()).filter((l) => l !== "" && !SYSTEMD_LINE.test(l));
  // apt's own "E:" lines first: its "Err:" progress lines come before and say less.
  return (lines.find((l) => l.startsWith("E: ")) ?? lines.find((l) => ERROR_LINE.test(l)) ?? lines.at(-1) ?? "").slice(0, 300);
}

/** Options for the real host, read from the environment by the charm's entry point. */
export interface HostOptions {
  root?: string;
  serviceManager?: ServiceManagerKind;
}

/** The host the charm runs on; `root` and `serviceManager` override detection (tests, containers). */
export function createHost(options: HostOptions = {}): Host {
  const root = options.root ?? "/";
  // systemd creates /run/systemd/system at boot; in a container without it there is no PID-1 systemd.
  const serviceManager = options.serviceManager ?? (existsSync("/run/systemd/system") ? "systemd" : "direct");
  return {
    root,
    serviceManager,
    path: (absolute) => join(root, absolute),
    async run(argv, runOptions = {}) {
      const [file, ...args] = argv;
      if (file === undefined) throw new OrchestraError("INVALID_ARGUMENT", "empty command");
      const result = await execa(file, args, {
        reject: false,
        input: runOptions.input ?? "",
        timeout: runOptions.timeoutMs ?? 30 * 60_000,
        ...(runOptions.env ? { env: runOptions.env } : {}),
      });
      if (result.failed) {
        const stderr = String(result.stderr ?? "").trim();
        const why = result.code === "ENOENT" ? "not found on PATH" : `exit ${result.exitCode ?? "?"}: ${stderr.slice(-500)}`;
        // The status shows `reason`: the command and the line that says why, not its first 200 characters.
        const cause = result.code === "ENOENT" ? "not found on PATH" : failureCause(`${stderr}\n${String(result.stdout ?? "")}`) || `exit ${result.exitCode ?? "?"}`;
        throw new OrchestraError("COMMAND_FAILED", `${argv.join(" ")}: ${why}`, { argv: [...argv], exitCode: result.exitCode, reason: `${argv.slice(0, 2).join(" ")} failed: ${cause}` });
      }
      return String(result.stdout ?? "");
    },
    async tryRun(argv) {
      const [file, ...args] = argv;
      if (file === undefined) return { ok: false, stdout: "", stderr: "" };
      const result = await execa(file, args, { reject: false, input: "" });
      return { ok: !result.failed, stdout: String(result.stdout ?? ""), stderr: String(result.stderr ?? "") };
    },
  };
}
