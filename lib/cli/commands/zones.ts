/**
 * @module cli/commands/zones
 * `orchestra zones ...`: availability zones. A zone is made by the first machine added to it
 * and stays, with its EC2 zone id and subnet, until an operator removes it here.
 */
import { Command } from "commander";
import { deleteZone, selectZones, type Zone } from "../../inventory/zone-rows.ts";
import { withInventory } from "../context.ts";
import { printJson, renderTable, type Column } from "../output.ts";

const COLUMNS: Column<Zone & { machines: number }>[] = [
  { heading: "ZONE", value: (z) => z.name },
  { heading: "INDEX", value: (z) => String(z.index) },
  { heading: "MACHINES", value: (z) => String(z.machines) },
  { heading: "CREATED", value: (z) => z.createdAt },
];

/** The `zones` command group. */
export function zonesCommand(): Command {
  const group = new Command("zones").description("availability zones: made by the first machine in them, removed only by an operator");
  group
    .command("list")
    .description("list zones with the index their EC2 zone id (REGION-az<index+1>) and subnet derive from")
    .option("--json", "print JSON")
    .action(async (_options, command: Command) => {
      const o = command.optsWithGlobals();
      await withInventory(o, async (inventory) => {
        const counts = await inventory.db.all<{ zone: string; n: number }>("SELECT zone, COUNT(*) AS n FROM machines GROUP BY zone");
        const zones = (await selectZones(inventory.db)).map((z) => ({ ...z, machines: Number(counts.find((c) => c.zone === z.name)?.n ?? 0) }));
        if (o.json) printJson(zones);
        else process.stdout.write(renderTable(zones, COLUMNS));
      });
    });
  group
    .command("delete")
    .description("remove a zone no machine is in; its index is never given to another zone")
    .argument("<zone>")
    .option("--json", "print JSON")
    .action(async (name: string, _options, command: Command) => {
      const o = command.optsWithGlobals();
      await withInventory(o, async (inventory) => {
        const removed = await inventory.db.transaction((tx) => deleteZone(tx, name, new Date().toISOString()));
        if (o.json) printJson(removed);
        else process.stdout.write(`removed zone ${removed.name}\n`);
      });
    });
  return group;
}
