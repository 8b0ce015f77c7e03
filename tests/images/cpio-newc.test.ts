import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { writeCpioNewc } from "../../lib/images/cpio-newc.ts";

describe("the newc cpio writer", () => {
  it("writes an archive GNU cpio lists with the right types, modes and contents", async () => {
    const archive = writeCpioNewc([
      { kind: "directory", path: "bin" },
      { kind: "file", path: "bin/hello", data: new TextEncoder().encode("hello\n"), mode: 0o755 },
      { kind: "symlink", path: "bin/hi", target: "hello" },
      { kind: "directory", path: "dev" },
      { kind: "char-device", path: "/dev/console", major: 5, minor: 1 },
      { kind: "file", path: "odd", data: new Uint8Array([1, 2, 3]) },
    ]);
    expect(archive.length % 4).toBe(0);
    const listing = await execa("cpio", ["-itv", "--quiet"], { input: Buffer.from(archive) });
    const lines = listing.stdout.split("\n");
    expect(lines).toHaveLength(6);
    expect(lines[0]).toMatch(/^drwxr-xr-x .* bin$/);
    expect(lines[1]).toMatch(/^-rwxr-xr-x .* 6 .* bin\/hello$/);
    expect(lines[2]).toMatch(/^lrwxrwxrwx .* bin\/hi -> hello$/);
    expect(lines[4]).toMatch(/^crw------- .* 5,\s+1 .* dev\/console$/);
    const extracted = await execa("cpio", ["-i", "--quiet", "--to-stdout", "bin/hello"], { input: Buffer.from(archive) });
    expect(extracted.stdout).toBe("hello");
  });

  it("refuses paths that escape the archive root", () => {
    expect(() => writeCpioNewc([{ kind: "directory", path: "../etc" }])).toThrow(/invalid cpio member path/);
    expect(() => writeCpioNewc([{ kind: "directory", path: "/" }])).toThrow(/invalid cpio member path/);
  });
});
