import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { Inventory } from "../../lib/inventory/index.ts";
import { openStore } from "../../lib/store/open-store.ts";
import { addReadyMachines, tempDataDir } from "../helpers/inventory.ts";

describe("allocation across processes sharing one data directory", () => {
  it("4 processes x 25 allocations against 50 ready machines: 50 distinct machines, 50 no-capacity", async () => {
    const { dir, cleanup } = tempDataDir();
    try {
      const db = await openStore(dir);
      await addReadyMachines(new Inventory(db), 50);
      await db.close();
      const worker = new URL("./fixtures/allocate-worker.ts", import.meta.url).pathname;
      const runs = await Promise.all(Array.from({ length: 4 }, () => execa(process.execPath, [worker, dir, "25"])));
      const results = runs.flatMap((r) => r.stdout.trim().split("\n").map((line) => JSON.parse(line) as { systemId?: string; error?: string }));
      const won = results.filter((r) => r.systemId).map((r) => r.systemId);
      expect(results).toHaveLength(100);
      expect(won).toHaveLength(50);
      expect(new Set(won).size).toBe(50);
      expect(results.filter((r) => r.error === "NO_CAPACITY")).toHaveLength(50);
    } finally {
      cleanup();
    }
  });
});
