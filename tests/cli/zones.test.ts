import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { orchestra } from "../helpers/cli.ts";
import { tempDataDir } from "../helpers/inventory.ts";

let dataDir: string;
let cleanup: () => void;
beforeEach(() => ({ dir: dataDir, cleanup } = tempDataDir()));
afterEach(() => cleanup());

const run = (...args: string[]) => orchestra(["--data-dir", dataDir, ...args]);

describe("orchestra zones", () => {
  it("keeps a zone after its last machine leaves, and removes it only when told, once it is empty", async () => {
    expect((await run("machines", "add", "--mac", "52:54:00:00:00:01", "--hostname", "n1", "--zone", "rack-b", "--power-type", "manual")).exitCode).toBe(0);
    const busy = await run("zones", "delete", "rack-b");
    expect([busy.exitCode, busy.stderr]).toEqual([1, "orchestra: error [ZONE_IN_USE]: zone rack-b still has 1 machine(s): move or delete them first"]);
    expect((await run("machines", "delete", "n1")).exitCode).toBe(0);
    const listed = JSON.parse((await run("zones", "list", "--json")).stdout) as { name: string; index: number; machines: number }[];
    expect(listed.map((z) => [z.name, z.index, z.machines])).toEqual([["default", 0, 0], ["rack-b", 1, 0]]);
    expect((await run("zones", "delete", "rack-b")).stdout).toBe("removed zone rack-b");
    expect(JSON.parse((await run("zones", "list", "--json")).stdout).map((z: { name: string }) => z.name)).toEqual(["default"]);
  });
});
