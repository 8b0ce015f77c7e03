import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { tempDataDir } from "../helpers/inventory.ts";

const MAIN = new URL("../../lib/cli/main.ts", import.meta.url).pathname;

function orchestra(args: string[], input?: string) {
  return execa(process.execPath, [MAIN, ...args], { reject: false, ...(input === undefined ? { stdin: "ignore" as const } : { input }) });
}

describe("orchestra users", () => {
  it("takes the password from standard input, never from an argument, and keeps no copy of it", async () => {
    const { dir, cleanup } = tempDataDir();
    try {
      const created = await orchestra(["--data-dir", dir, "users", "create", "admin", "--admin"], "a long passphrase\n");
      expect(created.exitCode, created.stderr).toBe(0);
      expect(created.stdout).toBe("created admin admin");
      const argument = await orchestra(["--data-dir", dir, "users", "create", "eve", "--admin", "--password", "x"]);
      expect(argument.stderr).toMatch(/error \[USAGE\]: unknown option '--password'/);
      const none = await orchestra(["--data-dir", dir, "users", "create", "eve", "--admin"], "");
      expect(none.stderr).toMatch(/error \[MISSING_ARGUMENT\]: no password on standard input/);
      const role = await orchestra(["--data-dir", dir, "users", "create", "eve"], "a long passphrase\n");
      expect(role.stderr).toMatch(/error \[MISSING_ARGUMENT\]: a user who is not an admin needs --account/);
      const listed = await orchestra(["--data-dir", dir, "users", "list", "--json"]);
      expect(JSON.parse(listed.stdout).map((u: { name: string }) => u.name)).toEqual(["admin"]);
      const { readdirSync, readFileSync } = await import("node:fs");
      for (const file of readdirSync(dir).filter((f) => f.startsWith("orchestra.db"))) expect(readFileSync(`${dir}/${file}`).includes("a long passphrase"), file).toBe(false);
      const key = await orchestra(["--data-dir", dir, "users", "api-key", "admin"]);
      expect(key.stdout).toMatch(/^ok-[0-9a-f]{16}\.[A-Za-z0-9_-]{43}$/);
    } finally {
      cleanup();
    }
  });
});
