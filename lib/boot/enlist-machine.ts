/**
 * @module boot/enlist-machine
 * What a discovery report may do to the inventory: create a `new` machine for MACs nobody
 * owns (with `ipmi` power at the BMC it reported), or refresh the hardware and BMC
 * credentials of the one machine that owns them while it is being commissioned. Everything else is refused and changes nothing: a report can never take
 * over, merge or alter a machine outside commissioning.
 */
import { isOrchestraError, OrchestraError } from "../errors.ts";
import type { Inventory } from "../inventory/inventory.ts";
import { selectMachine, selectSystemIdByMac, updateMachineHardware, updateMachinePower } from "../inventory/machine-rows.ts";
import type { Machine } from "../inventory/machine.ts";
import type { DiscoveryReport } from "./discovery-report.ts";

/** What an enlistment did. */
export interface EnlistmentResult {
  readonly action: "created" | "commissioned";
  readonly machine: Machine;
}

/** Enlistment settings. */
export interface EnlistmentOptions {
  /** Accept new machines at once: they go through commissioning to `ready` on this report. */
  readonly autoAccept?: boolean;
  /**
   * The `commissioning` entry (its statusChangedAt) whose token the report showed: a report
   * may change a commissioning machine only for that entry (the boot service checks the token).
   */
  readonly commissioningEntry?: string;
}

/** The free-form hardware facts a report carries, under the inventory's hardware keys. */
export function reportHardware(report: DiscoveryReport): Record<string, string> {
  const facts: Record<string, string | undefined> = {
    cpu_model: report.cpuModel,
    firmware: report.firmware,
    dmi_vendor: report.dmi.vendor,
    dmi_product: report.dmi.product,
    dmi_serial: report.dmi.serial,
    bmc_address: report.bmcAddress,
  };
  return Object.fromEntries(Object.entries(facts).filter((entry): entry is [string, string] => Boolean(entry[1])));
}

/**
 * The power settings a report gives its machine: `ipmi` at the BMC it reported, with the
 * port and the user the ramdisk set up when it reported them; `manual` when it found no BMC.
 */
export function reportPower(report: DiscoveryReport): { type: string; params: Record<string, string> } {
  if (!report.bmcAddress) return { type: "manual", params: {} };
  const params: Record<string, string> = { address: report.bmcAddress };
  if (report.bmcPort !== undefined) params.port = String(report.bmcPort);
  if (report.bmcUsername && report.bmcPassword) Object.assign(params, { username: report.bmcUsername, password: report.bmcPassword });
  return { type: "ipmi", params };
}

function refuse(message: string, details: Record<string, unknown>): never {
  throw new OrchestraError("ENLISTMENT_REFUSED", message, details);
}

/** Apply a validated report to the inventory. */
export async function enlistMachine(inventory: Inventory, report: DiscoveryReport, options: EnlistmentOptions = {}): Promise<EnlistmentResult> {
  const macs = report.interfaces.map((nic) => nic.mac);
  const owners = new Map<string, string[]>();
  for (const mac of macs) {
    const owner = await selectSystemIdByMac(inventory.db, mac);
    if (owner) owners.set(owner, [...(owners.get(owner) ?? []), mac]);
  }

  if (owners.size === 0) {
    let machine: Machine;
    try {
      machine = await inventory.addMachine(
        {
          architecture: report.architecture,
          cpus: report.cpus,
          memoryMib: report.memoryMib,
          disks: report.disks,
          interfaces: report.interfaces.map((nic) => ({ mac: nic.mac, name: nic.name, boot: nic.mac === report.bootMac })),
          hardware: reportHardware(report),
          power: reportPower(report),
        },
        `enlisted by discovery (boot MAC ${report.bootMac})`,
      );
    } catch (error) {
      // Another report for the same MACs won the race: this one must not touch that machine.
      if (isOrchestraError(error, "DUPLICATE_MAC")) refuse(`${error.message}; a discovery report cannot change an existing machine`, error.details as Record<string, unknown>);
      throw error;
    }
    if (options.autoAccept) {
      await inventory.accept(machine.systemId);
      machine = await inventory.transition(machine.systemId, "ready", "commissioned by its enlistment report (auto-accept)");
    }
    return { action: "created", machine };
  }

  if (owners.size > 1) {
    const claims = [...owners].map(([systemId, owned]) => `${owned.join(", ")} of ${systemId}`).join("; ");
    refuse(`the report claims MACs of ${owners.size} different machines (${claims}); refused`, { machines: [...owners.keys()] });
  }
  const systemId = [...owners.keys()][0]!;
  const updated = await inventory.db.transaction(async (tx) => {
    const machine = await selectMachine(tx, systemId);
    if (!machine) refuse(`machine ${systemId} vanished while the report was checked`, { systemId });
    if (machine.status !== "commissioning") {
      refuse(`MAC ${owners.get(systemId)![0]} belongs to machine ${systemId}, which is ${machine.status}; discovery may only change a machine being commissioned`, { systemId, status: machine.status });
    }
    if (options.commissioningEntry !== machine.statusChangedAt) {
      throw new OrchestraError("COMMISSIONING_TOKEN_REQUIRED", `machine ${systemId} is being commissioned: only its commissioning ramdisk, with its token, may report for it`, { systemId });
    }
    const unknown = macs.filter((mac) => !machine.interfaces.some((nic) => nic.mac === mac));
    if (unknown.length) {
      // An interface that appeared since enlistment is for the operator to confirm, not for a report to add.
      refuse(`the report for ${systemId} names interface(s) ${unknown.join(", ")} the machine does not have`, { systemId, macs: unknown });
    }
    // Commissioning set up the BMC user afresh (a new password): the machine's power settings
    // follow, or the next power action would be refused. A report without credentials
    // leaves settings alone that the operator may have made.
    const power = report.bmcUsername ? inventory.powerTypes.validateParams("ipmi", reportPower(report).params) : undefined;
    const next: Machine = {
      ...machine,
      ...(power ? { power: { type: "ipmi", params: power } } : {}),
      architecture: report.architecture,
      cpus: report.cpus,
      memoryMib: report.memoryMib,
      disks: report.disks,
      hardware: { ...machine.hardware, ...reportHardware(report) },
      updatedAt: new Date().toISOString(),
    };
    await updateMachineHardware(tx, next);
    if (power) await updateMachinePower(tx, next, inventory.powerTypes);
    return next;
  });
  const machine = await inventory.transition(updated.systemId, "ready", "commissioning completed: hardware reported");
  return { action: "commissioned", machine };
}
