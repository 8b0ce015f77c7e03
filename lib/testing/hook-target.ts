/**
 * @module testing/hook-target
 * Where a Context runs the charm when it is not this machine: a unit of lib/testing/units (a
 * systemd container with a charm directory and a tools directory of its own). The Context
 * still plays the unit agent; the target only says where the tool scripts go, how they
 * reach the agent, and how to start a process in it.
 */

/** How a process started in the target ended. */
export interface TargetRunResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/** A machine the charm's hooks run on. */
export interface HookTarget {
  /** The unix socket the Context's agent (tool server) listens on for this target. */
  agentSocket: string;
  /** Where the target's tool scripts dial the agent (the relay in front of agentSocket). */
  agentHost: string;
  agentPort: number;
  /** The host directory the tool scripts are written to, and the path the target sees it at. */
  toolsDir: string;
  toolsDirInTarget: string;
  /** The charm directory as the target sees it: JUJU_CHARM_DIR and the hook's cwd. */
  charmDirInTarget: string;
  /** The target's own PATH, after the tools directory. */
  basePath: string;
  /** Runs `argv` in the target with exactly `env`. */
  run(argv: readonly string[], options: { cwd: string; env: Record<string, string>; input: string; timeoutMs: number }): Promise<TargetRunResult>;
}
