/**
 * @module charm/hook-context
 * What one hook run knows, passed to every reconcile step: the hook environment, the host,
 * leadership, the validated config and settings (null when config is invalid), the facts.
 */
import type { HookEnvironment } from "../lib/hookenv/index.ts";
import type { CharmConfig } from "./config/charm-config.ts";
import type { Host } from "./host/host.ts";
import type { Facts } from "./status.ts";
import type { OrchestraRuntime, WorkloadSettings } from "./workloads/workload.ts";
import type { MachineSummary } from "./workloads/orchestra-cli.ts";

/** The state of one hook run. */
export interface HookContext {
  env: HookEnvironment;
  host: Host;
  runtime: OrchestraRuntime;
  leader: boolean;
  config: CharmConfig | null;
  /** Set once config is valid and the relation inputs are read. */
  settings: WorkloadSettings | null;
  facts: Facts;
  /**
   * The inventory as `orchestra machines list` printed it earlier in this hook (the syslog
   * server's permitted peers read it), so update-status counts machines without a second call.
   */
  machines?: MachineSummary[];
}

/** Where Orchestra keeps its state on the unit. */
export const DATA_DIR = "/var/lib/orchestra";
