/**
 * @module charm/workloads/orchestra-cli
 * The charm's hands on a running Orchestra: the `orchestra` CLI with `--json`, against the
 * service's data directory and environment. Used by actions, update-status and ec2-api.
 */
import type { Host } from "../host/host.ts";
import { orchestraEnvironment } from "../render/orchestra-service.ts";
import type { WorkloadSettings } from "./workload.ts";

/** Runs `orchestra <args> --json` and returns the parsed JSON it prints. */
export async function orchestraCli(host: Host, settings: WorkloadSettings, args: readonly string[]): Promise<unknown> {
  const dataDir = host.path(settings.dataDir);
  const env = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    ...orchestraEnvironment({ config: settings.config, dataDir, databaseUrl: settings.databaseUrl, proxy: settings.proxy }),
  };
  const out = await host.run([...settings.runtime.cli, "--data-dir", dataDir, ...args, "--json"], { env, timeoutMs: 10 * 60_000 });
  return out.trim() === "" ? null : JSON.parse(out);
}

/** A machine as `orchestra machines list --json` prints it (the fields the charm reads). */
export interface MachineSummary {
  systemId: string;
  hostname: string;
  status: string;
  /** The open instance the machine holds, if any. */
  instance?: { instanceId: string } | null;
}

/** The ids of the open instances among `machines` (what the syslog server's permitted peers are). */
export function openInstanceIds(machines: readonly MachineSummary[]): string[] {
  return machines.flatMap((m) => (typeof m.instance?.instanceId === "string" ? [m.instance.instanceId] : [])).sort();
}

/** The machines in the inventory. */
export async function listMachines(host: Host, settings: WorkloadSettings): Promise<MachineSummary[]> {
  const out = await orchestraCli(host, settings, ["machines", "list"]);
  return Array.isArray(out) ? (out as MachineSummary[]) : [];
}

/** Counts of machines per lifecycle state. */
export function countByStatus(machines: readonly MachineSummary[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const m of machines) counts[m.status] = (counts[m.status] ?? 0) + 1;
  return counts;
}
