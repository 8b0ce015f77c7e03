/**
 * @module cli/commands/instances
 * `orchestra instances list`: every allocation (EC2 instance) with its account and machine.
 */
import { Command } from "commander";
import type { Instance } from "../../inventory/instance.ts";
import { withInventory } from "../context.ts";
import { printJson, renderTable, type Column } from "../output.ts";

const COLUMNS: Column<Instance & { hostname: string }>[] = [
  { heading: "INSTANCE", value: (i) => i.instanceId },
  { heading: "ACCOUNT", value: (i) => i.account },
  { heading: "MACHINE", value: (i) => i.hostname },
  { heading: "TYPE", value: (i) => i.instanceType ?? "-" },
  { heading: "CREATED", value: (i) => i.createdAt },
  { heading: "ENDED", value: (i) => i.endedAt ?? "-" },
];

/** The `instances` command group. */
export function instancesCommand(): Command {
  const group = new Command("instances").description("allocations of machines: what EC2 calls instances");
  group
    .command("list")
    .description("list instances, open ones first")
    .option("--account <name>", "only this account's instances")
    .option("--all", "also instances that have ended")
    .option("--json", "print JSON")
    .action(async (_options, command: Command) => {
      const o = command.optsWithGlobals();
      await withInventory(o, async (inventory) => {
        const machines = new Map((await inventory.listMachines()).map((m) => [m.systemId, m.hostname]));
        const all = (await inventory.listInstances(o.account)).filter((i) => o.all || i.endedAt === null);
        const rows = all.map((i) => ({ ...i, hostname: i.systemId === null ? "(deleted)" : (machines.get(i.systemId) ?? i.systemId) }));
        if (o.json) printJson(rows);
        else process.stdout.write(rows.length ? renderTable(rows, COLUMNS) : "no instances\n");
      });
    });
  return group;
}
