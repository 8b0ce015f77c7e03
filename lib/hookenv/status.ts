/**
 * @module hookenv/status
 * status-set, status-get and application-version-set.
 */
import { runTool, runToolJson } from "./run-tool.ts";

/** The workload states a charm may set. */
export type SettableStatus = "maintenance" | "blocked" | "waiting" | "active";

/** A workload status with its message. */
export interface Status {
  status: SettableStatus | "unknown" | "error";
  message: string;
}

/** Sets the unit's (or, for the leader, the application's) workload status. */
export async function statusSet(status: SettableStatus, message = "", options: { application?: boolean } = {}): Promise<void> {
  await runTool(["status-set", `--application=${options.application === true}`, status, "--", message]);
}

/** The unit's (or application's) current workload status. */
export async function statusGet(options: { application?: boolean } = {}): Promise<Status> {
  const application = options.application === true;
  const out = await runToolJson<Record<string, unknown>>([
    "status-get", "--include-data", "--format=json", `--application=${application}`,
  ]);
  // Juju nests the application's status under "application-status".
  const raw = (application ? out["application-status"] : out) as { status?: string; message?: string } | undefined;
  return { status: (raw?.status ?? "unknown") as Status["status"], message: raw?.message ?? "" };
}

/** Sets the workload version `juju status` shows for the application. */
export async function applicationVersionSet(version: string): Promise<void> {
  await runTool(["application-version-set", "--", version]);
}
