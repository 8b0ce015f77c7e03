// CLI start-up benchmark: wall time of `orchestra --help` and `orchestra machines list --json`
// on 100 machines, through the installed binary (bin/orchestra, which runs the built dist/:
// `npm ci` builds it, `npm run build` refreshes it), beside `node -e 0` (Node's own start,
// the floor) in the same run. Prints figures only.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { Inventory } from "../../lib/inventory/index.ts";
import { openStore } from "../../lib/store/open-store.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const BIN = join(ROOT, "bin/orchestra");
const RUNS = 15;
const MACHINES = 100;

if (!existsSync(join(ROOT, "dist/lib/cli/main.js"))) throw new Error("dist/ is missing: run `npm run build` first (bin/orchestra runs the built CLI)");

function timed(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): { median: number; min: number } {
  const times: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const t = performance.now();
    const result = spawnSync(command, args, { env, maxBuffer: 1 << 26 });
    times.push(performance.now() - t);
    if (result.status !== 0) throw new Error(`${command} ${args.join(" ")} failed: ${result.stderr}`);
  }
  times.sort((a, b) => a - b);
  return { median: times[Math.floor(times.length / 2)]!, min: times[0]! };
}

const dir = mkdtempSync(join(tmpdir(), "orchestra-bench-cli-"));
try {
  const db = await openStore(dir);
  const inventory = new Inventory(db);
  for (let i = 0; i < MACHINES; i++) {
    const hex = i.toString(16).padStart(6, "0");
    await inventory.addMachine({ interfaces: [{ mac: `52:54:02:${hex.slice(0, 2)}:${hex.slice(2, 4)}:${hex.slice(4, 6)}` }], cpus: 4, memoryMib: 8192, disks: [{ sizeBytes: 100 * 1024 ** 3 }], power: { type: "fake" } });
  }
  await db.close();
  const listed = spawnSync(BIN, ["--data-dir", dir, "machines", "list", "--json"], { maxBuffer: 1 << 26 });
  if (JSON.parse(listed.stdout.toString()).length !== MACHINES) throw new Error(`machines list did not list ${MACHINES} machines: ${listed.stderr}`);
  // bin/orchestra runs the project's own Node (node_modules/.bin/node): the floor is that Node's start.
  const node = existsSync(join(ROOT, "node_modules/.bin/node")) ? join(ROOT, "node_modules/.bin/node") : process.execPath;
  const rows: [string, { median: number; min: number }][] = [
    ["node -e 0", timed(node, ["-e", "0"])],
    ["orchestra --help", timed(BIN, ["--help"])],
    [`orchestra machines list --json (${MACHINES} machines)`, timed(BIN, ["--data-dir", dir, "machines", "list", "--json"])],
  ];
  const floor = rows[0]![1].median;
  console.log(`CLI start, wall time over ${RUNS} runs (median / fastest), through bin/orchestra`);
  for (const [name, t] of rows) console.log(`${name.padEnd(48)} ${t.median.toFixed(0).padStart(5)} ms / ${t.min.toFixed(0).padStart(4)} ms   (${(t.median - floor).toFixed(0)} ms above node -e 0)`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
