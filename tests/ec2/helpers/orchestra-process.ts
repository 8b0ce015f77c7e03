/**
 * @module tests/ec2/helpers/orchestra-process
 * A real `orchestra serve` process on loopback with a temporary data directory: what the
 * end-to-end tests drive with the AWS CLI, boto3 and the SDK. Stopped by its pid.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { Inventory } from "../../../lib/inventory/index.ts";
import { openStore } from "../../../lib/store/open-store.ts";
import { addReadyMachines } from "../../helpers/inventory.ts";

const run = promisify(execFile);
const MAIN = resolve(import.meta.dirname, "../../../lib/cli/main.ts");

/** A running server. */
export interface OrchestraProcess {
  readonly endpoint: string;
  /** The boot listener (boot, metadata, /healthz), e.g. http://127.0.0.1:40123 */
  readonly bootUrl: string;
  /** The boot listener (boot scripts, metadata, simplestreams). */
  readonly bootEndpoint: string;
  readonly dataDir: string;
  readonly region: string;
  /** `orchestra credentials create --json` for `account`. */
  createCredentials(account: string): Promise<{ accessKeyId: string; secretAccessKey: string; account: string }>;
  /** Run the orchestra CLI against the data directory. */
  cli(args: readonly string[]): Promise<{ stdout: string; stderr: string }>;
  /** Add ready fake machines through the inventory, as the CLI or discovery would. */
  addMachines(count: number, spec?: Parameters<typeof addReadyMachines>[2]): Promise<string[]>;
  /** Stop the process (SIGTERM to its pid) and remove the data directory. */
  stop(): Promise<void>;
}

/** Start `orchestra serve` with both listeners on 127.0.0.1 and free ports, presenting `region`. */
export async function startOrchestra(options: { region?: string; serveArgs?: readonly string[] } = {}): Promise<OrchestraProcess> {
  const dataDir = mkdtempSync(join(tmpdir(), "orchestra-ec2-e2e-"));
  const region = options.region ?? "orchestra";
  const cli = (args: readonly string[]) => run(process.execPath, [MAIN, "--data-dir", dataDir, ...args], { encoding: "utf8" });
  const child = spawn(process.execPath, [MAIN, "--data-dir", dataDir, "serve", "--boot-listen", "127.0.0.1:0", "--api-listen", "127.0.0.1:0", "--region", region, "--log-level", "warn", ...(options.serveArgs ?? [])], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  const [endpoint, bootEndpoint] = await new Promise<[string, string]>((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error(`orchestra serve did not start: ${stderr}`)), 30_000);
    child.stderr!.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
      const match = /boot (http:\/\/[0-9.]+:\d+)\/; ec2 (http:\/\/[0-9.]+:\d+)\//.exec(stderr);
      if (match) {
        clearTimeout(timer);
        resolvePromise([match[2]!, match[1]!]);
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`orchestra serve exited with ${code}: ${stderr}`));
    });
  });
  return {
    endpoint,
    bootUrl: bootEndpoint,
    bootEndpoint,
    dataDir,
    region,
    cli,
    async createCredentials(account) {
      const { stdout } = await cli(["credentials", "create", "--account", account, "--json"]);
      return JSON.parse(stdout);
    },
    async addMachines(count, spec) {
      const db = await openStore(dataDir);
      try {
        return await addReadyMachines(new Inventory(db), count, spec);
      } finally {
        await db.close();
      }
    },
    async stop() {
      await stopChild(child);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((resolvePromise) => child.once("exit", () => resolvePromise()));
  process.kill(child.pid, "SIGTERM");
  // A server whose only thread is stuck (the very failure some tests look for) never runs its
  // SIGTERM handler: it is killed after a grace period rather than left behind.
  const kill = setTimeout(() => child.kill("SIGKILL"), 10_000);
  await exited;
  clearTimeout(kill);
}
