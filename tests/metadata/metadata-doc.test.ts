/**
 * docs/metadata.md says where the metadata service listens, and that must be true: nothing
 * in the code binds the link-local 169.254.169.254 (an earlier text said the charm did).
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../..");

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith(".ts"))
    .map((entry) => join(entry.parentPath, entry.name));
}

describe("docs/metadata.md", () => {
  it("says where the service listens, and no code binds 169.254.169.254", () => {
    const code = [...sources("lib"), ...sources("charm")].map((file) => readFileSync(file, "utf8"));
    // Only comments may name the address; no string literal, so no listen() can take it.
    expect(code.some((text) => /["'`]169\.254\.169\.254/.test(text))).toBe(false);
    const doc = readFileSync(join(ROOT, "docs/metadata.md"), "utf8");
    expect(doc).toContain("Nothing binds\n169.254.169.254:80, neither `serve` nor the charm");
    expect(doc).not.toMatch(/also 169\.254\.169\.254:80/);
  });
});
