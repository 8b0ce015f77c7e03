/**
 * @module cli/commands/machines
 * `orchestra machines ...`: the operator's hands on the inventory.
 */
import { deploymentOf } from "../../deploy/deployment-rows.ts";
import { Command } from "commander";
import { OrchestraError } from "../../errors.ts";
import { assertTransition, type MachineStatus } from "../../inventory/lifecycle.ts";
import type { Inventory } from "../../inventory/inventory.ts";
import { machineView, type MachineView } from "../../inventory/machine-view.ts";
import { listedMachines, type ListedMachine } from "../../inventory/machine-listing.ts";
import type { Machine } from "../../inventory/machine.ts";
import { powerCommand } from "./machine-power.ts";
import { waitCommand } from "./machine-wait.ts";
import { deployCommand } from "./machine-deploy.ts";
import { manualInstructions } from "./manual-instructions.ts";
import { withInventory, type GlobalOptions } from "../context.ts";
import { formatBytes, printJson, renderTable, type Column } from "../output.ts";
import { collect, parseKeyValues, parseWholeNumber } from "../parse-options.ts";

const GIB = 1024 ** 3;

const COLUMNS: Column<ListedMachine>[] = [
  { heading: "HOSTNAME", value: (m) => m.hostname },
  { heading: "SYSTEM-ID", value: (m) => m.systemId },
  { heading: "STATUS", value: (m) => m.status },
  { heading: "ARCH", value: (m) => m.architecture },
  { heading: "CPUS", value: (m) => String(m.cpus) },
  { heading: "MEMORY", value: (m) => formatBytes(m.memoryMib * 1024 * 1024) },
  { heading: "DISK", value: (m) => formatBytes(m.storageBytes) },
  { heading: "ZONE", value: (m) => m.zone },
  { heading: "OWNER", value: (m) => m.instance?.account ?? "-" },
  { heading: "INSTANCE", value: (m) => m.instance?.instanceId ?? "-" },
  { heading: "POWER", value: (m) => (m.power.testOnly ? `${m.power.type} (TEST ONLY)` : m.power.type) },
  { heading: "MACS", value: (m) => m.interfaces.map((i) => i.mac).join(",") },
  { heading: "TAGS", value: (m) => m.tags.join(",") },
];

function globals(command: Command): GlobalOptions & { json?: boolean } {
  return command.optsWithGlobals();
}

/** Each machine's view with the open instance it holds (owner and instance id), in one query. */
async function listed(inventory: Inventory, machines: readonly Machine[]): Promise<ListedMachine[]> {
  return listedMachines(machines, await inventory.listInstances(), inventory.powerTypes);
}

function printMachines(views: ListedMachine[], json: boolean | undefined): void {
  if (json) printJson(views);
  else process.stdout.write(views.length ? renderTable(views, COLUMNS) : "no machines\n");
}

function showMachine(view: MachineView): string {
  const lines = [
    `hostname:     ${view.hostname}`,
    `system id:    ${view.systemId}`,
    `status:       ${view.status}${view.statusMessage ? ` (${view.statusMessage})` : ""}`,
    `architecture: ${view.architecture}`,
    `cpus:         ${view.cpus}`,
    `memory:       ${formatBytes(view.memoryMib * 1024 ** 2)}`,
    `zone:         ${view.zone}`,
    `tags:         ${view.tags.join(", ") || "-"}`,
    `power:        ${view.power.type}${view.power.testOnly ? " (TEST ONLY: nothing is powered)" : ""}${Object.entries(view.power.params).map(([k, v]) => ` ${k}=${v}`).join("")}`,
    "interfaces:",
    ...view.interfaces.map((i) => `  ${i.name} ${i.mac}${i.boot ? " (boot)" : ""}`),
    "disks:",
    ...(view.disks.length ? view.disks.map((d) => `  ${d.name} ${formatBytes(d.sizeBytes)}${d.model ? ` ${d.model}` : ""}${d.serial ? ` serial ${d.serial}` : ""}`) : ["  -"]),
  ];
  return lines.join("\n") + "\n";
}

/**
 * Resolve every machine first and check the move is legal for each, so that a batch with
 * one bad name changes nothing.
 */
async function forEachMachine(inventory: Inventory, refs: string[], to: MachineStatus, act: (m: Machine) => Promise<Machine>): Promise<Machine[]> {
  const machines = await Promise.all(refs.map((ref) => inventory.getMachine(ref)));
  // Name each machine as the user typed it, with its system id when that was not what they typed.
  machines.forEach((machine, i) => assertTransition(refs[i] === machine.systemId ? machine.systemId : `${refs[i]} (${machine.systemId})`, machine.status, to));
  const done: Machine[] = [];
  for (const machine of machines) done.push(await act(machine));
  return done;
}

function lifecycleCommand(name: string, description: string, to: MachineStatus, act: (inventory: Inventory, m: Machine, options: Record<string, string>) => Promise<Machine>): Command {
  return new Command(name)
    .description(description)
    .argument("<machine...>", "system id, hostname or MAC address")
    .option("--json", "print the machines as JSON")
    .action(async (refs: string[], _options, command: Command) => {
      const options = globals(command);
      await withInventory(options, async (inventory) => {
        const machines = await forEachMachine(inventory, refs, to, (m) => act(inventory, m, command.opts()));
        printMachines(await listed(inventory, machines), options.json);
        if (!options.json) process.stdout.write(await manualInstructions(machines));
      });
    });
}

/** The `machines` command group. */
export function machinesCommand(): Command {
  const machines = new Command("machines").description("the inventory of physical machines");

  machines
    .command("add")
    .description("register a machine by hand (discovery registers machines that network-boot)")
    .requiredOption("--mac <mac>", "MAC address of an interface (repeatable; the first boots unless --boot-mac)", collect)
    .option("--boot-mac <mac>", "which of the --mac addresses boots")
    .option("--hostname <name>", "host name (default: node-<system id>)")
    .option("--arch <arch>", "architecture (amd64, arm64, ...)", "amd64")
    .option("--cpus <n>", "CPU count")
    .option("--memory-mib <n>", "memory in MiB")
    .option("--disk-gib <n>", "size of a disk in GiB (repeatable)", collect)
    .option("--zone <zone>", "availability zone", "default")
    .option("--tag <tag>", "tag (repeatable)", collect)
    .requiredOption("--power-type <type>", "power type: ipmi, wol, redfish, qemu, manual (fake is for tests only)")
    .option("--power-param <key=value>", "power parameter (repeatable), e.g. address=10.0.0.5", collect)
    .option("--json", "print the machine as JSON")
    .action(async (_options, command: Command) => {
      const o = command.optsWithGlobals();
      const macs: string[] = o.mac;
      const bootMac: string | undefined = o.bootMac;
      if (bootMac !== undefined && !macs.includes(bootMac)) throw new OrchestraError("INVALID_ARGUMENT", `--boot-mac ${bootMac} is not one of the --mac addresses`);
      await withInventory(o, async (inventory) => {
        const machine = await inventory.addMachine({
          interfaces: macs.map((mac) => ({ mac, ...(bootMac === undefined ? {} : { boot: mac === bootMac }) })),
          ...(o.hostname === undefined ? {} : { hostname: o.hostname }),
          architecture: o.arch,
          ...(o.cpus === undefined ? {} : { cpus: parseWholeNumber("--cpus", o.cpus) }),
          ...(o.memoryMib === undefined ? {} : { memoryMib: parseWholeNumber("--memory-mib", o.memoryMib) }),
          disks: ((o.diskGib as string[] | undefined) ?? []).map((size) => ({ sizeBytes: parseWholeNumber("--disk-gib", size) * GIB })),
          zone: o.zone,
          tags: o.tag ?? [],
          power: { type: o.powerType, params: parseKeyValues("--power-param", o.powerParam ?? []) },
        });
        const view = machineView(machine, inventory.powerTypes);
        if (o.json) printJson(view);
        else process.stdout.write(`added ${view.hostname} (${view.systemId}), status ${view.status}${view.power.testOnly ? "; power type fake: TEST ONLY" : ""}\n`);
      }, { creates: true });
    });

  machines
    .command("list")
    .description("list machines")
    .option("--status <status>", "only machines in this state")
    .option("--zone <zone>", "only machines in this zone")
    .option("--tag <tag>", "only machines with this tag")
    .option("--arch <arch>", "only machines of this architecture")
    .option("--json", "print JSON")
    .action(async (_options, command: Command) => {
      const o = command.optsWithGlobals();
      await withInventory(o, async (inventory) => {
        const filter = { status: o.status, zone: o.zone, tag: o.tag, architecture: o.arch };
        // The JSON is the store's own text, printed as it comes (the same document printJson would write).
        if (o.json) process.stdout.write((await inventory.listMachinesJson(filter, 2)) + "\n");
        // The indented text too: on SQLite it is the stored one, where compact text is reformatted (slower to make than to parse).
        else printMachines(JSON.parse(await inventory.listMachinesJson(filter, 2)) as ListedMachine[], false);
      });
    });

  machines
    .command("show")
    .description("show one machine and its event log")
    .argument("<machine>", "system id, hostname or MAC address")
    .option("--json", "print JSON")
    .action(async (ref: string, _options, command: Command) => {
      const o = command.optsWithGlobals();
      await withInventory(o, async (inventory) => {
        const view = machineView(await inventory.getMachine(ref), inventory.powerTypes);
        const events = await inventory.events(view.systemId);
        const found = await deploymentOf(inventory.db, view.systemId);
        // The token and secrets stay out: they are the node's credentials.
        const deployment = found && {
          instanceId: found.instanceId,
          imageId: found.imageId,
          phase: found.phase,
          bytesDone: found.bytesDone,
          bytesTotal: found.bytesTotal,
          nodeAddress: found.nodeAddress,
          message: found.message,
          startedAt: found.startedAt,
          updatedAt: found.updatedAt,
        };
        if (o.json) printJson({ ...view, deployment: deployment ?? null, events });
        else {
          process.stdout.write(showMachine(view));
          if (deployment) {
            const progress = deployment.bytesTotal ? ` ${formatBytes(deployment.bytesDone)} of ${formatBytes(deployment.bytesTotal)} (${Math.min(100, Math.round((100 * deployment.bytesDone) / deployment.bytesTotal))}%)` : "";
            process.stdout.write(`deployment:   ${deployment.imageId} for ${deployment.instanceId ?? "-"}: ${deployment.phase}${progress}${deployment.message ? `; ${deployment.message}` : ""}\n`);
          }
          process.stdout.write("events:\n" + events.map((e) => `  ${e.at}  ${e.from ?? "-"} -> ${e.to}  ${e.reason}`).join("\n") + "\n");
        }
      });
    });

  machines.addCommand(lifecycleCommand("accept", "accept new machines: they go on to commissioning", "commissioning", (inv, m) => inv.accept(m.systemId)));
  machines.addCommand(lifecycleCommand("commission", "(re)commission machines: check their hardware before trusting them", "commissioning", (inv, m) => inv.commission(m.systemId)));
  machines.addCommand(lifecycleCommand("release", "release machines from their instances, back to the pool", "releasing", (inv, m) => inv.release(m.systemId)));
  machines.addCommand(
    lifecycleCommand("mark-broken", "take machines out of service", "broken", (inv, m, o) => inv.markBroken(m.systemId, o.reason ?? "")).requiredOption("--reason <text>", "why the machine is broken"),
  );

  machines
    .command("update")
    .description("change a machine's hostname, zone, tags or power settings in place (its state is untouched)")
    .argument("<machine>", "system id, hostname or MAC address")
    .option("--hostname <name>", "new host name")
    .option("--zone <zone>", "move it to this availability zone")
    .option("--tag <tag>", "add a tag (repeatable)", collect)
    .option("--remove-tag <tag>", "remove a tag (repeatable)", collect)
    .option("--power-type <type>", "a new power type (its parameters start afresh)")
    .option("--power-param <key=value>", "set a power parameter, keeping the others (repeatable), e.g. password=...", collect)
    .option("--json", "print the machine as JSON")
    .action(async (ref: string, _options, command: Command) => {
      const o = command.optsWithGlobals();
      await withInventory(o, async (inventory) => {
        const updated = await inventory.updateMachine(ref, {
          ...(o.hostname === undefined ? {} : { hostname: o.hostname }),
          ...(o.zone === undefined ? {} : { zone: o.zone }),
          ...(o.tag ? { addTags: o.tag } : {}),
          ...(o.removeTag ? { removeTags: o.removeTag } : {}),
          ...(o.powerType === undefined ? {} : { powerType: o.powerType }),
          ...(o.powerParam ? { powerParams: parseKeyValues("--power-param", o.powerParam) } : {}),
        });
        const view = machineView(updated, inventory.powerTypes);
        if (o.json) printJson(view);
        else process.stdout.write(showMachine(view));
      });
    });

  machines.addCommand(lifecycleCommand("retire", "retire machines for good (commission one to bring it back)", "retired", (inv, m) => inv.transition(m.systemId, "retired", "retired by the operator")));
  machines.addCommand(powerCommand());
  machines.addCommand(waitCommand());
  machines.addCommand(deployCommand());

  machines
    .command("delete")
    .description("remove machines from the inventory")
    .argument("<machine...>", "system id, hostname or MAC address")
    .option("--force", "also delete machines that have an instance")
    .option("--json", "print the deleted machines as JSON")
    .action(async (refs: string[], _options, command: Command) => {
      const o = command.optsWithGlobals();
      await withInventory(o, async (inventory) => {
        await Promise.all(refs.map((ref) => inventory.getMachine(ref)));
        const deleted: Machine[] = [];
        for (const ref of refs) deleted.push(await inventory.deleteMachine(ref, { force: o.force === true }));
        if (o.json) printJson(deleted.map((m) => machineView(m, inventory.powerTypes)));
        else for (const m of deleted) process.stdout.write(`deleted ${m.hostname} (${m.systemId})\n`);
      });
    });

  machines
    .command("allocate")
    .description("allocate the cheapest ready machine that fits, as an instance")
    .option("--instance-type <name>", "instance type (see instance-types list)")
    .option("--arch <arch>", "architecture")
    .option("--zone <zone>", "availability zone")
    .option("--tag <tag>", "required tag (repeatable)", collect)
    .option("--min-cpus <n>", "minimum CPU count")
    .option("--min-memory-mib <n>", "minimum memory in MiB")
    .option("--min-disk-gib <n>", "minimum total disk in GiB")
    .option("--account <name>", "account the instance belongs to", "admin")
    .option("--json", "print JSON")
    .action(async (_options, command: Command) => {
      const o = command.optsWithGlobals();
      await withInventory(o, async (inventory) => {
        const { instance, machine } = await inventory.allocate(
          {
            ...(o.instanceType === undefined ? {} : { instanceType: o.instanceType }),
            ...(o.arch === undefined ? {} : { architecture: o.arch }),
            ...(o.zone === undefined ? {} : { zone: o.zone }),
            tags: o.tag ?? [],
            ...(o.minCpus === undefined ? {} : { minCpus: parseWholeNumber("--min-cpus", o.minCpus) }),
            ...(o.minMemoryMib === undefined ? {} : { minMemoryMib: parseWholeNumber("--min-memory-mib", o.minMemoryMib) }),
            ...(o.minDiskGib === undefined ? {} : { minDiskGib: parseWholeNumber("--min-disk-gib", o.minDiskGib) }),
          },
          o.account,
        );
        const view = machineView(machine, inventory.powerTypes);
        if (o.json) printJson({ instance, machine: view });
        else process.stdout.write(`allocated ${view.hostname} (${view.systemId}) as ${instance.instanceId}\n`);
      });
    });

  return machines;
}
