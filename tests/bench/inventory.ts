// Inventory benchmark: the cost of allocation and listing at 100, 1,000 and 10,000
// machines, on a file-backed store as `orchestra serve` uses it. Prints figures only.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { Inventory } from "../../lib/inventory/index.ts";
import { listedMachines } from "../../lib/inventory/machine-listing.ts";
import { openStore } from "../../lib/store/open-store.ts";

const SIZES = [100, 1_000, 10_000];
const ALLOCATIONS = 100;
const CLI = new URL("../../lib/cli/main.ts", import.meta.url).pathname;

function mac(i: number): string {
  const hex = i.toString(16).padStart(6, "0");
  return `52:54:01:${hex.slice(0, 2)}:${hex.slice(2, 4)}:${hex.slice(4, 6)}`;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const rows: string[][] = [["machines", "add (ms/machine)", "list in-process (ms)", "list CPU (ms)", "views in JS CPU (ms)", "list --json CLI (ms)", "JSON size (KiB)", "allocate p50 (ms)", "allocate p95 (ms)"]];
for (const size of SIZES) {
  const dir = mkdtempSync(join(tmpdir(), "orchestra-bench-"));
  try {
    const db = await openStore(dir);
    const inventory = new Inventory(db);
    const addStart = performance.now();
    for (let i = 0; i < size; i++) {
      // Varied sizes so that allocation's cost ordering has real work to do.
      const m = await inventory.addMachine({
        interfaces: [{ mac: mac(i) }],
        cpus: 2 + (i % 31),
        memoryMib: 2048 * (1 + (i % 17)),
        disks: [{ sizeBytes: (100 + (i % 9) * 100) * 1024 ** 3, model: "BENCH", serial: `S${i}` }],
        zone: `zone-${i % 4}`,
        tags: i % 3 === 0 ? ["ssd"] : [],
        power: { type: "fake" },
      });
      await inventory.accept(m.systemId);
    }
    const addMs = (performance.now() - addStart) / size;

    const listTimes: number[] = [];
    // CPU time beside wall time: on a shared machine, other work stretches the wall time far more.
    const listCpu: number[] = [];
    const viewsCpu: number[] = [];
    let jsonBytes = 0;
    for (let run = 0; run < 5; run++) {
      // What `machines list --json` prints, made in-process (SQLite writes the text).
      const t = performance.now();
      const cpu = process.cpuUsage();
      const json = await inventory.listMachinesJson({}, 2);
      listTimes.push(performance.now() - t);
      const used = process.cpuUsage(cpu);
      listCpu.push((used.user + used.system) / 1000);
      jsonBytes = json.length;
      // The peer: the same document from the machines' views built in JavaScript (PostgreSQL's path).
      const viewsStart = process.cpuUsage();
      JSON.stringify(listedMachines(await inventory.listMachines(), await inventory.listInstances(), inventory.powerTypes), null, 2);
      const viewsUsed = process.cpuUsage(viewsStart);
      viewsCpu.push((viewsUsed.user + viewsUsed.system) / 1000);
    }

    await db.close();
    const cliTimes: number[] = [];
    for (let run = 0; run < 3; run++) {
      const t = performance.now();
      const result = spawnSync(process.execPath, [CLI, "--data-dir", dir, "machines", "list", "--json"], { maxBuffer: 1 << 30 });
      cliTimes.push(performance.now() - t);
      if (result.status !== 0) throw new Error(`CLI failed: ${result.stderr}`);
      if (JSON.parse(result.stdout.toString()).length !== size) throw new Error("CLI listed the wrong number of machines");
    }

    const db2 = await openStore(dir);
    const inventory2 = new Inventory(db2);
    const allocTimes: number[] = [];
    for (let i = 0; i < Math.min(ALLOCATIONS, size); i++) {
      const t = performance.now();
      await inventory2.allocate({ minCpus: 2, zone: `zone-${i % 4}` }, "bench");
      allocTimes.push(performance.now() - t);
    }
    await db2.close();
    allocTimes.sort((a, b) => a - b);
    rows.push([
      String(size),
      addMs.toFixed(3),
      median(listTimes).toFixed(1),
      median(listCpu).toFixed(1),
      median(viewsCpu).toFixed(1),
      median(cliTimes).toFixed(0),
      (jsonBytes / 1024).toFixed(0),
      median(allocTimes).toFixed(2),
      allocTimes[Math.floor(allocTimes.length * 0.95)]!.toFixed(2),
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
for (const row of rows) console.log(row.map((cell, i) => cell.padStart(widths[i]!)).join("  "));
console.log("\nlist = machines list --json's document (indented) made in-process, printing excluded (SQLite: each machine's text kept with its row, written by triggers on every write, so add and allocate include writing it); views in JS = the same document from Machine objects and machineView (PostgreSQL's path), the peer");
console.log("list --json CLI includes process start (Node 24); allocate = one transaction: select fitting ready machines by cost, claim one, record instance and event.");
