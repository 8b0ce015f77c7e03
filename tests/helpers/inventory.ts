/**
 * Test helpers: a throwaway inventory on an in-memory or temporary store.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Inventory, type InventoryOptions } from "../../lib/inventory/index.ts";
import type { MachineStatus } from "../../lib/inventory/lifecycle.ts";
import { openStore } from "../../lib/store/open-store.ts";

/** An inventory over a fresh in-memory store. */
export async function memoryInventory(options: InventoryOptions = {}): Promise<Inventory> {
  return new Inventory(await openStore(":memory:"), options);
}

/** A temporary data directory, removed by the returned cleanup. */
export function tempDataDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "orchestra-test-"));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

let macCounter = 0;

/** A fresh locally-administered unicast MAC, unique within the test process. */
export function nextMac(): string {
  macCounter += 1;
  const hex = macCounter.toString(16).padStart(6, "0");
  return `52:54:00:${hex.slice(0, 2)}:${hex.slice(2, 4)}:${hex.slice(4, 6)}`;
}

/**
 * Put a machine straight into `status`, bypassing the lifecycle: only for setting up a
 * test's starting point, never for what a test checks.
 */
export async function forceStatus(inventory: Inventory, systemId: string, status: MachineStatus, at = new Date().toISOString()): Promise<void> {
  await inventory.db.run("UPDATE machines SET status = $2, status_changed_at = $3 WHERE system_id = $1", [systemId, status, at]);
}

/**
 * Add `count` machines and bring them to ready the real way: accepted, then commissioned at
 * once by the (test-only) fake power type.
 */
export async function addReadyMachines(inventory: Inventory, count: number, spec: { cpus?: number; memoryMib?: number; diskGib?: number; zone?: string; tags?: string[]; architecture?: string } = {}): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const machine = await inventory.addMachine({
      interfaces: [{ mac: nextMac() }],
      cpus: spec.cpus ?? 4,
      memoryMib: spec.memoryMib ?? 8192,
      disks: [{ sizeBytes: (spec.diskGib ?? 100) * 1024 ** 3 }],
      zone: spec.zone ?? "default",
      tags: spec.tags ?? [],
      architecture: spec.architecture ?? "amd64",
      power: { type: "fake" },
    });
    await inventory.accept(machine.systemId);
    ids.push(machine.systemId);
  }
  return ids;
}
