/**
 * Test helpers: an inventory whose machines differ in every listed field (interfaces, disks,
 * hardware with text JSON must escape, power settings with secrets, tags, zones, states, an
 * open and an ended instance), and the listing as JavaScript renders it from the machines'
 * views: the independent rendering SQLite's listing text is held to.
 */
import type { Inventory, ListMachinesFilter } from "../../lib/inventory/index.ts";
import { listedMachines } from "../../lib/inventory/machine-listing.ts";
import { addReadyMachines, nextMac } from "./inventory.ts";

/** A BMC password that must never be listed. */
export const BMC_PASSWORD = "s3cret-bmc-\"pass\"";
/** Text that JSON escapes or might: quotes, backslashes, line separators, non-ASCII. */
export const PRINTABLE = 'a "quoted" \\ backslash \u2028\u2029 é ✓ 🚀 </script>';
/** PRINTABLE and control characters too. */
export const AWKWARD = `${PRINTABLE} tab\tnew line\n\u0001\u001f\u007f`;

/** Add nine machines unlike one another; returns the system id of the one holding an open instance. */
export async function addVariedMachines(inventory: Inventory): Promise<string> {
  await addReadyMachines(inventory, 3, { tags: ["ssd"], zone: "zone-a" });
  await addReadyMachines(inventory, 2, { architecture: "arm64" });
  await inventory.addMachine({
    hostname: "ipmi-node",
    interfaces: [{ mac: nextMac(), name: "eno1" }, { mac: nextMac(), name: "eno2", boot: true }, { mac: nextMac(), name: "eno3" }],
    cpus: 64,
    memoryMib: 524_288,
    disks: [{ sizeBytes: 4 * 1024 ** 4, model: "NVMe ✓", serial: "SN-1" }, { sizeBytes: 480 * 1024 ** 3 }],
    hardware: { cpu_model: PRINTABLE, "dmi.vendor": "Dell Inc." },
    power: { type: "ipmi", params: { address: "192.0.2.10", username: "admin", password: BMC_PASSWORD } },
    zone: "zone-b",
    tags: ["gpu", "big"],
  });
  await inventory.addMachine({ hostname: "redfish-node", interfaces: [{ mac: nextMac() }], power: { type: "redfish", params: { address: "https://192.0.2.11", username: "root", password: BMC_PASSWORD, tls_verify: "no" } } });
  await inventory.addMachine({ hostname: "wol-node", interfaces: [{ mac: nextMac() }], disks: [], power: { type: "wol", params: { broadcast: "192.0.2.255" } } });
  const broken = await inventory.addMachine({ hostname: "manual-node", interfaces: [{ mac: nextMac() }], power: { type: "manual" } });
  await inventory.markBroken(broken.systemId, AWKWARD);
  // One machine holding an open instance, one whose instance has ended.
  const open = await inventory.allocate({ tags: ["ssd"] }, "alice");
  const ended = await inventory.allocate({ architecture: "arm64" }, "bob");
  await inventory.release(ended.machine.systemId);
  return open.machine.systemId;
}

/** The listing as JSON.stringify makes it of the machines' views (PostgreSQL's path). */
export async function viewsJson(inventory: Inventory, filter: ListMachinesFilter, indent: number): Promise<string> {
  return JSON.stringify(listedMachines(await inventory.listMachines(filter), await inventory.listInstances(), inventory.powerTypes), null, indent);
}
