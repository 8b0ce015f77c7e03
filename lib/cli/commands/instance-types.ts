/**
 * @module cli/commands/instance-types
 * `orchestra instance-types ...`: the named hardware classes EC2 clients ask for.
 */
import { Command } from "commander";
import type { InstanceType } from "../../inventory/instance-type.ts";
import { withInventory } from "../context.ts";
import { formatBytes, printJson, renderTable, type Column } from "../output.ts";
import { parseWholeNumber } from "../parse-options.ts";

const COLUMNS: Column<InstanceType>[] = [
  { heading: "NAME", value: (t) => t.name },
  { heading: "CPUS", value: (t) => String(t.cpus) },
  { heading: "MEMORY", value: (t) => formatBytes(t.memoryMib * 1024 ** 2) },
  { heading: "DISK", value: (t) => formatBytes(t.diskGib * 1024 ** 3) },
  { heading: "ORIGIN", value: (t) => (t.builtin ? "built-in" : "operator") },
  { heading: "DESCRIPTION", value: (t) => t.description },
];

/** The `instance-types` command group. */
export function instanceTypesCommand(): Command {
  const group = new Command("instance-types").description("instance types: minimum CPUs, memory and disk a machine must have");
  group
    .command("list")
    .description("list instance types")
    .option("--json", "print JSON")
    .action(async (_options, command: Command) => {
      const o = command.optsWithGlobals();
      await withInventory(o, async (inventory) => {
        const types = await inventory.listInstanceTypes();
        if (o.json) printJson(types);
        else process.stdout.write(renderTable(types, COLUMNS));
      });
    });
  group
    .command("define")
    .description("define an instance type")
    .argument("<name>", "FAMILY.SIZE, e.g. bm.large")
    .requiredOption("--cpus <n>", "minimum CPUs")
    .requiredOption("--memory-mib <n>", "minimum memory in MiB")
    .option("--disk-gib <n>", "minimum total disk in GiB", "0")
    .option("--description <text>", "what it is for", "")
    .option("--json", "print JSON")
    .action(async (name: string, _options, command: Command) => {
      const o = command.optsWithGlobals();
      await withInventory(o, async (inventory) => {
        const type = await inventory.defineInstanceType({
          name,
          cpus: parseWholeNumber("--cpus", o.cpus),
          memoryMib: parseWholeNumber("--memory-mib", o.memoryMib),
          diskGib: parseWholeNumber("--disk-gib", o.diskGib),
          description: o.description,
        });
        if (o.json) printJson(type);
        else process.stdout.write(`defined ${type.name}\n`);
      }, { creates: true });
    });
  group
    .command("delete")
    .description("remove an operator-defined instance type")
    .argument("<name>", "its name")
    .action(async (name: string, _options, command: Command) => {
      await withInventory(command.optsWithGlobals(), (inventory) => inventory.deleteInstanceType(name));
      process.stdout.write(`deleted ${name}\n`);
    });
  return group;
}
