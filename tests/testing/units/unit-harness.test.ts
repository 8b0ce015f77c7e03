/**
 * The unit harness itself (lib/testing/units): a unit boots with systemd as PID 1 from the
 * cached root, a charm's `dispatch` runs there with Juju's hook environment and the fake hook
 * tools reaching the test's agent through the unit network, a failed hook's writes are
 * dropped, the unit installs from the local repository (and fails on the broken mirror), and
 * stop() leaves no namespace, mount, process or temp dir behind.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { zipTree } from "../../../charm/pack/zip-tree.ts";
import { getRelation, relation, state } from "../../../lib/testing/index.ts";
import { UnitHarness, type CharmUnit } from "../../../lib/testing/units/index.ts";

let harness: UnitHarness;
let unit: CharmUnit;
let scratch: string;
let stopped = false;

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), "orchestra-harness-test-"));
  cpSync(join(import.meta.dirname, "shell-charm"), join(scratch, "tree"), { recursive: true });
  await zipTree(join(scratch, "tree"), join(scratch, "probe.charm"));
  // The same package list as tests/integration: one cached repository for both.
  const { UNIT_PACKAGES } = await import("../../integration/unit-fixture.ts");
  harness = await UnitHarness.start({ packages: UNIT_PACKAGES });
  console.log(`units: root ${harness.root.buildSeconds} s to build, repository ${harness.repository.buildSeconds} s (0: cached), ${harness.repository.debCount} debs, ${(harness.repository.bytes / 1e6).toFixed(0)} MB`);
  unit = await harness.deployUnit({ charmFile: join(scratch, "probe.charm"), index: 0, context: { timeoutMs: 120_000 } });
}, 20 * 60_000);

afterAll(async () => {
  if (!stopped) await harness?.stop();
  rmSync(scratch, { recursive: true, force: true });
}, 120_000);

describe("a unit of the harness", () => {
  it("runs dispatch from Juju's charm directory with systemd as PID 1 and the hook environment", async () => {
    const out = await unit.context.run(unit.context.on.install(), state({ leader: true }));
    expect(out.unitStatusHistory.map((s) => s.status)).toEqual(["maintenance", "active"]);
    expect((await unit.machine.readFile("/var/tmp/pid1")).trim()).toBe("systemd");
    const env = Object.fromEntries((await unit.machine.readFile("/var/tmp/env-install")).trim().split("\n").map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
    expect(env).toMatchObject({
      JUJU_CHARM_DIR: "/var/lib/juju/agents/unit-probe-0/charm",
      CHARM_DIR: "/var/lib/juju/agents/unit-probe-0/charm",
      PWD: "/var/lib/juju/agents/unit-probe-0/charm",
      JUJU_UNIT_NAME: "probe/0",
      JUJU_DISPATCH_PATH: "hooks/install",
      JUJU_HOOK_NAME: "install",
      DEBIAN_FRONTEND: "noninteractive",
      JUJU_CHARM_HTTP_PROXY: "",
    });
    expect(env.PATH!.split(":")[0]).toBe("/var/lib/juju/tools/unit-probe-0");
    expect(Object.keys(env)).toEqual(expect.arrayContaining(["JUJU_MODEL_UUID", "JUJU_CONTEXT_ID", "JUJU_VERSION", "JUJU_AGENT_SOCKET_ADDRESS", "JUJU_MACHINE_ID"]));
    // Nothing of the test process leaks into the hook.
    expect(Object.keys(env).filter((k) => k.startsWith("VITEST"))).toEqual([]);
  });

  it("keeps what a hook's tools wrote when it exits 0 and drops it when it fails", async () => {
    const website = relation({ endpoint: "website", remoteApp: "haproxy" });
    const ok = await unit.context.run(unit.context.on.relationJoined(website), state({ leader: true, relations: [website] }));
    expect(getRelation(ok.state, website).localUnitData).toMatchObject({ hostname: "probe-0", port: "80" });
    expect(ok.state.openedPorts).toEqual(["80/tcp"]);

    const failing = await unit.context.runUnchecked(unit.context.on.relationJoined(website), state({ leader: true, relations: [website], config: { fail: true } }));
    expect(failing.exitCode).toBe(1);
    expect(failing.stderr).toContain("failing on purpose");
    expect(getRelation(failing.state, website).localUnitData.hostname).toBeUndefined();
    expect(failing.state.openedPorts).toEqual([]);
  });

  it("installs packages from the local repository and fails on the mirror that answers 404", async () => {
    await unit.machine.sh(["apt-get", "update"]);
    const policy = await unit.machine.sh(["apt-cache", "policy", "squid"]);
    expect(policy).toContain("http://198.51.100.1:8080 ./ Packages");
    await unit.breakMirror();
    const broken = await unit.machine.exec(["apt-get", "update", "--error-on=any"]);
    expect(broken.exitCode).not.toBe(0);
    expect(broken.stdout + broken.stderr).toContain("404");
  });

  it("leaves no namespace, mount, process or temp dir behind when stopped", async () => {
    const namespaces = [harness.network.namespace, unit.machine.member.namespace];
    const pids = [unit.machine.nspawnPid, unit.machine.leaderPid, harness.network.servicesPid];
    const dirs = [unit.charmDir, harness.network.socketDir];
    stopped = true;
    await harness.stop();
    const { stdout: netns } = await execa("ip", ["netns", "list"]);
    for (const ns of namespaces) expect(netns.split("\n").map((l) => l.split(" ")[0])).not.toContain(ns);
    for (const pid of pids) expect(existsSync(`/proc/${pid}`)).toBe(false);
    for (const dir of dirs) expect(existsSync(dir)).toBe(false);
    expect(readFileSync("/proc/self/mountinfo", "utf8")).not.toContain(harness.root.path);
  });
});
