/** Console logs as files: where a deployment's part starts, and what GetConsoleOutput reads. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { consoleLogPath, fileConsoleLogs } from "../../lib/deploy/console-log.ts";

const MAC = "52:54:00:00:00:01";
let dataDir: string | undefined;
afterEach(() => {
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  dataDir = undefined;
});

describe("file console logs", () => {
  it("size is 0 without a log (most machines have none), else the file's size; read gives what came after an offset", async () => {
    dataDir = mkdtempSync(join(tmpdir(), "orchestra-console-"));
    const logs = fileConsoleLogs(dataDir);
    expect(await logs.size(MAC)).toBe(0);
    expect((await logs.read(MAC, 0, 1024)).length).toBe(0);
    mkdirSync(join(dataDir, "consoles"));
    writeFileSync(consoleLogPath(dataDir, MAC), "earlier owner\n");
    const offset = await logs.size(MAC);
    expect(offset).toBe(14);
    writeFileSync(consoleLogPath(dataDir, MAC), "earlier owner\nthis deployment\n");
    expect((await logs.read(MAC, offset, 1024)).toString()).toBe("this deployment\n");
  });
});
