/**
 * @module charm/handle-hook
 * What each hook does beyond the common reconcile, and the one status-set at its end.
 */
import { isOrchestraError } from "../lib/errors.ts";
import { applicationVersionSet, jujuLog, parseRelationHook, statusSet } from "../lib/hookenv/index.ts";
import type { HookContext } from "./hook-context.ts";
import { reconcile } from "./reconcile.ts";
import { forgetEc2Credential } from "./relations/ec2-api.ts";
import { forgetSyslogClientCertificate } from "./relations/syslog.ts";
import { computeStatus } from "./status.ts";
import { countByStatus, listMachines } from "./workloads/orchestra-cli.ts";
import { allWorkloads } from "./workloads/registry.ts";
import { CHARM_VERSION } from "./version.ts";


/** Undoes every component (stop and remove hooks; the second finds little left to do). */
async function teardownAll(ctx: HookContext): Promise<void> {
  for (const workload of allWorkloads()) {
    try {
      await workload.teardown(ctx.host);
    } catch (error) {
      if (!isOrchestraError(error, "COMMAND_FAILED")) throw error;
      await jujuLog(`stopping ${workload.name}: ${error.message}`, "WARNING");
    }
  }
}

/** Reads machine counts for the status; a failure is a note, not an error. */
async function countMachines(ctx: HookContext): Promise<void> {
  if (ctx.settings === null) return;
  try {
    ctx.facts.machines = countByStatus(ctx.machines ?? (await listMachines(ctx.host, ctx.settings)));
  } catch (error) {
    if (!isOrchestraError(error, "COMMAND_FAILED")) throw error;
    ctx.facts.notes.push("machine counts unavailable");
    await jujuLog(`update-status: ${error.message}`, "WARNING");
  }
}

/** Runs one hook to completion and sets the status once. */
export async function handleHook(ctx: HookContext): Promise<void> {
  const name = ctx.env.name;
  if (name === "stop" || name === "remove") {
    await teardownAll(ctx);
    await statusSet("maintenance", name === "stop" ? "stopped" : "removing");
    return;
  }
  if (name === "install") await statusSet("maintenance", "installing Orchestra");
  await reconcile(ctx);
  const relation = parseRelationHook(name);
  if (relation?.endpoint === "ec2-api" && relation.event === "broken" && ctx.env.relationId !== undefined) {
    await forgetEc2Credential(ctx, ctx.env.relationId);
  }
  if (relation?.endpoint === "syslog" && relation.event === "broken" && ctx.env.relationId !== undefined) {
    await forgetSyslogClientCertificate(ctx, ctx.env.relationId);
  }
  if (name === "update-status") await countMachines(ctx);
  if (ctx.leader) await applicationVersionSet(CHARM_VERSION);
  const status = computeStatus(ctx.facts);
  await statusSet(status.status, status.message);
}
