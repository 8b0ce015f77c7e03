// CLI start-up benchmark: wall and CPU time of `orchestra --help` and `orchestra machines
// list --json` on 100 machines, through the installed binary (bin/orchestra, which runs the
// CLI's bundle in dist/cli/: `npm ci` builds it, `npm run build` refreshes it), beside
// `node -e 0` (Node's own start, the floor) and the same commands without Node's compile
// cache, in the same run. CPU time (the children's user + system, from /proc) is the figure
// a loaded machine leaves meaningful. Prints figures only.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { Inventory } from "../../lib/inventory/index.ts";
import { openStore } from "../../lib/store/open-store.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const BIN = join(ROOT, "bin/orchestra");
const RUNS = 15;
const MACHINES = 100;

if (!existsSync(join(ROOT, "dist/cli/main.js"))) throw new Error("dist/cli/ is missing: run `npm run build` first (bin/orchestra runs the bundled CLI)");

/** CPU ms (user + system) of this process's waited-for children so far, from /proc (10 ms ticks). */
function childrenCpuMs(): number {
  const stat = readFileSync("/proc/self/stat", "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[13]) + Number(fields[14])) * 10;
}

interface Timing {
  median: number;
  min: number;
  /** Mean CPU ms per run. */
  cpu: number;
}

function timed(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Timing {
  const times: number[] = [];
  // One untimed run first: it fills the compile cache, as any earlier use of the command has.
  spawnSync(command, args, { env, maxBuffer: 1 << 26 });
  const cpuBefore = childrenCpuMs();
  for (let run = 0; run < RUNS; run++) {
    const t = performance.now();
    const result = spawnSync(command, args, { env, maxBuffer: 1 << 26 });
    times.push(performance.now() - t);
    if (result.status !== 0) throw new Error(`${command} ${args.join(" ")} failed: ${result.stderr}`);
  }
  const cpu = (childrenCpuMs() - cpuBefore) / RUNS;
  times.sort((a, b) => a - b);
  return { median: times[Math.floor(times.length / 2)]!, min: times[0]!, cpu };
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
  const list = ["--data-dir", dir, "machines", "list", "--json"];
  const uncached = { ...process.env, NODE_DISABLE_COMPILE_CACHE: "1" };
  const rows: [string, Timing][] = [
    ["node -e 0", timed(node, ["-e", "0"])],
    ["orchestra --help", timed(BIN, ["--help"])],
    [`orchestra machines list --json (${MACHINES} machines)`, timed(BIN, list)],
    ["orchestra --help, no compile cache", timed(BIN, ["--help"], uncached)],
    [`machines list --json, no compile cache`, timed(BIN, list, uncached)],
  ];
  const floor = rows[0]![1];
  console.log(`CLI start over ${RUNS} runs through bin/orchestra: wall median / fastest, and mean CPU (user + system)`);
  for (const [name, t] of rows) {
    console.log(`${name.padEnd(48)} ${t.median.toFixed(0).padStart(5)} ms / ${t.min.toFixed(0).padStart(4)} ms   CPU ${t.cpu.toFixed(0).padStart(4)} ms   (${(t.median - floor.median).toFixed(0)} ms wall, ${(t.cpu - floor.cpu).toFixed(0)} ms CPU above node -e 0)`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
