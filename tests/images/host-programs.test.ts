import { describe, expect, it } from "vitest";
import { findProgram, requirePrograms } from "../../lib/images/host-programs.ts";

describe("host programs", () => {
  it("finds programs on PATH and in sbin even when PATH lacks it", async () => {
    expect(await findProgram("sh", "/usr/bin:/bin")).toMatch(/\/sh$/);
    expect(await findProgram("sfdisk", "/nonexistent")).toMatch(/^\/(usr\/)?sbin\/sfdisk$/);
  });

  it("names every missing program's Debian package at once", async () => {
    const error = await requirePrograms([
      { program: "sh", debianPackage: "dash" },
      { program: "orchestra-no-such-tool", debianPackage: "orchestra-tools" },
      { program: "orchestra-no-such-other", debianPackage: "other-tools" },
    ]).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "PREREQUISITE_MISSING", details: { packages: ["orchestra-tools", "other-tools"] } });
    expect(String((error as Error).message)).toContain("apt-get install orchestra-tools other-tools");
  });
});
