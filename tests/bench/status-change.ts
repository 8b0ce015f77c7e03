// Status-change benchmark: the server thread's CPU per status change of a machine, on a
// file-backed store as `orchestra serve` uses it, with small hardware and with a ~35 KB
// hardware document (a large machine's inventory). A deployment changes a machine's status
// three times. Two figures per size:
//   via API    markBroken, then commission (fake power: commissioning and ready at once),
//              that is three status changes in two transactions with their events, per cycle;
//   statement  the UPDATE updateStatus makes, alone, in one transaction per pair of changes.
// Prints figures only. Usage: node tests/bench/status-change.ts [machines] [cycles per machine]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Inventory } from "../../lib/inventory/index.ts";
import { updateStatus } from "../../lib/inventory/machine-rows.ts";
import { openStore } from "../../lib/store/open-store.ts";

const MACHINES = Number(process.argv[2] ?? 100);
const CYCLES = Number(process.argv[3] ?? 20);

function mac(i: number): string {
  const hex = i.toString(16).padStart(6, "0");
  return `52:54:02:${hex.slice(0, 2)}:${hex.slice(2, 4)}:${hex.slice(4, 6)}`;
}

/** A hardware document of about `bytes` bytes as stored (JSON), in keys of 63 characters' reach. */
function hardwareOf(bytes: number): Record<string, string> {
  const hardware: Record<string, string> = {};
  for (let i = 0; JSON.stringify(hardware).length < bytes; i++) hardware[`dmi.field-${String(i).padStart(4, "0")}`] = `value ${i} `.padEnd(40, "x");
  return hardware;
}

/** The thread's CPU in µs while `work` runs. */
async function threadCpu(work: () => Promise<void>): Promise<number> {
  const start = process.threadCpuUsage();
  await work();
  const used = process.threadCpuUsage(start);
  return used.user + used.system;
}

const rows: string[][] = [["hardware (bytes)", "via API (µs/change)", "statement (µs/change)"]];
for (const hardwareBytes of [0, 35_000]) {
  const dir = mkdtempSync(join(tmpdir(), "orchestra-bench-"));
  try {
    const db = await openStore(dir);
    const inventory = new Inventory(db);
    const hardware = hardwareBytes ? hardwareOf(hardwareBytes) : {};
    const ids: string[] = [];
    for (let i = 0; i < MACHINES; i++) {
      const m = await inventory.addMachine({ interfaces: [{ mac: mac(i) }], hardware, power: { type: "fake" } });
      await inventory.accept(m.systemId);
      ids.push(m.systemId);
    }
    // One warm-up cycle each: statements prepared, pages cached.
    for (const id of ids) {
      await inventory.markBroken(id, "bench");
      await inventory.commission(id);
    }
    const api = await threadCpu(async () => {
      for (let c = 0; c < CYCLES; c++) {
        for (const id of ids) {
          await inventory.markBroken(id, "bench");
          await inventory.commission(id);
        }
      }
    });
    let tick = Date.parse("2030-01-01T00:00:00Z");
    const statement = await threadCpu(async () => {
      for (let c = 0; c < CYCLES; c++) {
        for (const id of ids) {
          await db.transaction(async (tx) => {
            await updateStatus(tx, id, "ready", "broken", "bench", new Date(tick++).toISOString());
            await updateStatus(tx, id, "broken", "ready", "bench", new Date(tick++).toISOString());
          });
        }
      }
    });
    await db.close();
    rows.push([String(hardwareBytes), (api / (CYCLES * MACHINES * 3)).toFixed(1), (statement / (CYCLES * MACHINES * 2)).toFixed(1)]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
for (const row of rows) console.log(row.map((cell, i) => cell.padStart(widths[i]!)).join("  "));
console.log(`\n${MACHINES} machines, ${CYCLES} cycles each; CPU of this thread (process.threadCpuUsage). via API includes each transaction's reads, events and COMMIT; statement includes the pair's COMMIT.`);
