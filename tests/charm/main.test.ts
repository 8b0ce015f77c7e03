import { describe, expect, it } from "vitest";
import { join } from "node:path";
import { execa } from "execa";
import { repoRoot } from "./charm-harness.ts";

const dispatch = join(repoRoot, "dispatch");

describe("the charm entry point outside Juju", () => {
  it("without hook tools it exits 1 and says which tool is missing", async () => {
    const result = await execa(dispatch, [], {
      reject: false,
      extendEnv: false,
      env: { PATH: "/usr/bin:/bin", JUJU_UNIT_NAME: "orchestra/0", JUJU_DISPATCH_PATH: "hooks/install", JUJU_CHARM_DIR: repoRoot },
    });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain("hook tool is-leader is not on PATH; is this running inside a Juju hook?");
  });

  it("without a unit name it exits 1 and says it is not under Juju", async () => {
    const result = await execa(dispatch, [], { reject: false, extendEnv: false, env: { PATH: "/usr/bin:/bin", JUJU_DISPATCH_PATH: "hooks/install" } });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain("JUJU_UNIT_NAME is not set to app/N: not running under Juju");
  });
});
