import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeFileAtomic } from "../../../charm/host/write-file-atomic.ts";

let dir: string;
beforeEach(() => { dir = mkdtempSync(join(tmpdir(), "atomic-")); });
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("writeFileAtomic", () => {
  it("creates parents, writes, reports change, sets the mode", () => {
    const path = join(dir, "a", "b", "f.conf");
    expect(writeFileAtomic(path, "one\n", 0o600)).toBe(true);
    expect(readFileSync(path, "utf8")).toBe("one\n");
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(writeFileAtomic(path, "one\n", 0o600)).toBe(false);
    expect(writeFileAtomic(path, "two\n", 0o600)).toBe(true);
    expect(readdirSync(join(dir, "a", "b"))).toEqual(["f.conf"]);
  });

  it("cleans up its temp file and leaves the target alone when the rename fails", () => {
    // A non-empty directory where the file should go: rename(2) refuses, even for root.
    const path = join(dir, "target");
    mkdirSync(path);
    writeFileSync(join(path, "keep"), "x");
    expect(() => writeFileAtomic(path, "new\n")).toThrow();
    expect(readdirSync(dir)).toEqual(["target"]);
    expect(readFileSync(join(path, "keep"), "utf8")).toBe("x");
  });
});
