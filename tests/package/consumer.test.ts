/**
 * Another project depends on Orchestra the way the README says: a file: (or git:) dependency
 * on `@orchestra-charm/orchestra`, a scoped name that no unrelated registry package shadows,
 * installed by the real npm (offline: nothing is fetched), then imported through the package's
 * exports and run through its bin.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../..");

describe("a project depending on Orchestra", () => {
  it("installs it as @orchestra-charm/orchestra from a file: dependency, imports its exports and runs its bin", { timeout: 120_000 }, async () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
    expect(pkg.name).toBe("@orchestra-charm/orchestra");
    const dir = mkdtempSync(join(tmpdir(), "orchestra-consumer-"));
    try {
      writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "my-charm", private: true, type: "module" }));
      await execa("npm", ["install", "--offline", "--no-audit", "--no-fund", "--ignore-scripts", `file:${ROOT}`], { cwd: dir });
      writeFileSync(
        join(dir, "charm.js"),
        'import { OrchestraError } from "@orchestra-charm/orchestra/errors";\nimport { statusSet } from "@orchestra-charm/orchestra/hookenv";\nconsole.log(typeof statusSet, new OrchestraError("NO_CAPACITY", "none").code);\n',
      );
      expect((await execa(process.execPath, ["charm.js"], { cwd: dir })).stdout).toBe("function NO_CAPACITY");
      expect((await execa(join(dir, "node_modules", ".bin", "orchestra"), ["--version"], { cwd: dir })).stdout).toBe(pkg.version);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
