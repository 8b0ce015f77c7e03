import { spawn } from "node:child_process";
import { resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Inventory } from "../../lib/inventory/index.ts";
import { openStore } from "../../lib/store/open-store.ts";
import { addReadyMachines, tempDataDir } from "../helpers/inventory.ts";

const MAIN = resolve(import.meta.dirname, "../../lib/cli/main.ts");
const { dir, cleanup } = tempDataDir();
afterAll(cleanup);

describe("orchestra writing into a pipe its reader closed", () => {
  it("stops quietly, as `| head` expects, with no error or stack trace", async () => {
    const inventory = new Inventory(await openStore(dir));
    // About 0.8 KB a machine: 300 make a listing several times the 64 KiB pipe buffer, so the
    // CLI is still writing when the reader goes away.
    await addReadyMachines(inventory, 300);
    await inventory.db.close();

    const child = spawn(process.execPath, [MAIN, "--data-dir", dir, "machines", "list", "--json"], { stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    let firstChunk = "";
    child.stdout.once("data", (chunk: Buffer) => {
      firstChunk = chunk.toString("utf8");
      child.stdout.destroy();
    });
    const code = await new Promise<number | null>((done) => child.on("close", (exitCode) => done(exitCode)));
    expect(stderr).toBe("");
    expect(firstChunk.startsWith("[")).toBe(true);
    expect(stderr).toBe("");
    expect(code).toBe(0);
  }, 60_000);
});
