/**
 * @module ec2/actions/instance-lifecycle
 * TerminateInstances, StopInstances, StartInstances and RebootInstances. Every id is
 * checked first, then all changes run in one transaction: a bad id changes nothing.
 */
import { OrchestraError } from "../../errors.ts";
import type { SqlExecutor } from "../../store/sql-database.ts";
import { bool, list, str } from "../query/param-shape.ts";
import { namedInstances } from "../model/instance-ids.ts";
import type { InstanceRecord } from "../model/instance-records.ts";
import { instanceState } from "../model/instance-state.ts";
import type { Ec2Context } from "../model/ec2-context.ts";
import { defineAction } from "./define-action.ts";
import { requestPowerWithin, type PowerRequestAction } from "../../inventory/power-request.ts";
import { deploymentOfInstance } from "../../deploy/deployment-rows.ts";
import { CONSOLE_OUTPUT_BYTES } from "../../deploy/console-log.ts";
import { bootMacOf } from "../../inventory/machine.ts";

const ids = { InstanceId: list(str({ max: 64 }), { required: true, max: 1000 }) };

/** Run `change` on each instance in one transaction and answer with previous and current states. */
async function changeStates(context: Ec2Context, instanceIds: readonly string[], change: (tx: SqlExecutor, instance: InstanceRecord) => Promise<void>) {
  const { services } = context;
  const before = await services.db.transaction(async (tx) => {
    const instances = await namedInstances(context, instanceIds, tx);
    for (const instance of instances) await change(tx, instance);
    return instances;
  });
  const after = await namedInstances(context, instanceIds);
  return {
    instancesSet: before.map((b) => ({
      instanceId: b.instanceId,
      currentState: instanceState(after.find((a) => a.instanceId === b.instanceId)!.state),
      previousState: instanceState(b.state),
    })),
  };
}

export const terminateInstances = defineAction("TerminateInstances", { ...ids, Force: bool(), SkipOsShutdown: bool() }, async (context, p) =>
  changeStates(context, p.InstanceId, async (tx, instance) => {
    if (instance.state === "terminated" || instance.state === "shutting-down" || instance.systemId === null) return;
    // Every change runs in one transaction: one protected instance refuses the whole call.
    if (instance.disableApiTermination) {
      throw new OrchestraError("EC2_OPERATION_NOT_PERMITTED", `The instance '${instance.instanceId}' may not be terminated. Modify its 'disableApiTermination' instance attribute and try again.`);
    }
    await context.services.inventory.transitionWithin(tx, instance.systemId, "releasing", `TerminateInstances by ${context.account} (${instance.instanceId})`);
  }),
);

/**
 * Ask for a power change. A test-only (fake) machine has no power to change, so the change
 * is complete at once; any other machine gets a power request that the lifecycle engine
 * carries out through its driver (the instance shows stopping/pending until then).
 */
async function requestPower(tx: SqlExecutor, context: Ec2Context, instance: InstanceRecord, action: PowerRequestAction, what: string): Promise<void> {
  const type = instance.powerType ? context.services.inventory.powerTypes.get(instance.powerType) : undefined;
  if (type?.testOnly || instance.systemId === null) return;
  await requestPowerWithin(tx, instance.systemId, action, `${what} by ${context.account} (${instance.instanceId})`, context.services.now().toISOString());
}

function requireState(instance: InstanceRecord, allowed: readonly string[], action: string): void {
  if (!allowed.includes(instance.state)) {
    throw new OrchestraError("EC2_INCORRECT_INSTANCE_STATE", `The instance '${instance.instanceId}' is not in a state from which it can be ${action} (it is ${instance.state}).`);
  }
}

async function setPower(tx: SqlExecutor, instanceId: string, off: boolean): Promise<void> {
  await tx.run("UPDATE ec2_instances SET powered_off = $2 WHERE instance_id = $1", [instanceId, off ? 1 : 0]);
}

export const stopInstances = defineAction("StopInstances", { ...ids, Force: bool(), Hibernate: bool() }, async (context, p) => {
  if (p.Hibernate) throw new OrchestraError("EC2_UNSUPPORTED_OPERATION", "Hibernation is not available on bare metal.");
  return changeStates(context, p.InstanceId, async (tx, instance) => {
    requireState(instance, ["running", "stopped", "stopping"], "stopped");
    if (instance.poweredOff) return;
    if (instance.disableApiStop) {
      throw new OrchestraError("EC2_OPERATION_NOT_PERMITTED", `The instance '${instance.instanceId}' may not be stopped. Modify its 'disableApiStop' instance attribute and try again.`);
    }
    await setPower(tx, instance.instanceId, true);
    await requestPower(tx, context, instance, "off", "StopInstances");
  });
});

export const startInstances = defineAction("StartInstances", { ...ids }, async (context, p) =>
  changeStates(context, p.InstanceId, async (tx, instance) => {
    requireState(instance, ["running", "stopped", "pending"], "started");
    if (!instance.poweredOff) return;
    await setPower(tx, instance.instanceId, false);
    await requestPower(tx, context, instance, "on", "StartInstances");
  }),
);

export const rebootInstances = defineAction("RebootInstances", { ...ids }, async (context, p) => {
  await context.services.db.transaction(async (tx) => {
    const instances = await namedInstances(context, p.InstanceId, tx);
    for (const instance of instances) requireState(instance, ["running"], "rebooted");
    for (const instance of instances) await requestPower(tx, context, instance, "cycle", "RebootInstances");
  });
  return { return: true };
});

export const getConsoleOutput = defineAction("GetConsoleOutput", { InstanceId: str({ required: true, max: 64 }), Latest: bool() }, async (context, p) => {
  const [instance] = await namedInstances(context, [p.InstanceId]);
  const { services } = context;
  // The machine's serial console, from where this instance's deployment began: never an earlier owner's part.
  const deployment = services.consoles ? await deploymentOfInstance(services.db, instance!.instanceId) : undefined;
  const machine = deployment ? await services.inventory.getMachine(deployment.systemId).catch(() => undefined) : undefined;
  const bootMac = machine ? bootMacOf(machine) : undefined;
  if (deployment && bootMac && services.consoles) {
    const console = await services.consoles.read(bootMac, deployment.consoleOffset, CONSOLE_OUTPUT_BYTES);
    if (console.length > 0) return { instanceId: instance!.instanceId, timestamp: services.now(), output: console.toString("base64") };
  }
  // No console is captured for this machine: the lifecycle log is the boot log Orchestra
  // knows, from allocation onwards only (earlier owners' history stays private).
  const events = instance!.systemId ? await services.inventory.events(instance!.systemId) : [];
  const since = Date.parse(instance!.launchedAt);
  const text = events
    .filter((e) => Date.parse(e.at) >= since && (instance!.endedAt === null || Date.parse(e.at) <= Date.parse(instance!.endedAt)))
    .map((e) => `${e.at} ${e.from ?? "-"} -> ${e.to}: ${e.reason}`)
    .join("\n");
  return { instanceId: instance!.instanceId, timestamp: services.now(), output: Buffer.from(text ? `${text}\n` : "").toString("base64") };
});
