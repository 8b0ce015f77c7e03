/**
 * Faults on a real unit: the mirror answers 404 during install (the unit must end blocked
 * with the reason, never active), and an install hook killed half way then run again converges.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { state, type State } from "../../lib/testing/index.ts";
import type { CharmUnit, UnitHarness } from "../../lib/testing/units/index.ts";
import { packedCharm, retryFor, secondsSince, startHarness } from "./unit-fixture.ts";

let harness: UnitHarness;
let unit: CharmUnit;
let charm: { file: string; remove: () => void };

beforeAll(async () => {
  [charm, harness] = await Promise.all([packedCharm(), startHarness()]);
  unit = await harness.deployUnit({ charmFile: charm.file, index: 0 });
}, 20 * 60_000);

afterAll(async () => {
  await harness?.stop();
  charm?.remove();
}, 5 * 60_000);

describe("faults on a real unit", () => {
  it("an install hook killed half way, run again, converges to active", async () => {
    const fresh = await harness.deployUnit({ charmFile: charm.file, index: 1 });
    const config = { components: "squid", "dhcp-mode": "off" };
    let s: State = state({ leader: true, config, networks: fresh.networks() });
    // Killed with SIGKILL, the hook's whole process group, once dpkg is at work.
    const running = fresh.context.runUnchecked(fresh.context.on.install(), s);
    await retryFor(180_000, async () => {
      if ((await fresh.machine.exec(["pgrep", "-x", "dpkg"])).exitCode !== 0) throw new Error("dpkg is not running yet");
    }, 100);
    const groups = (await fresh.machine.sh(["pgrep", "-f", "^timeout --kill-after"])).trim().split("\n");
    await fresh.machine.exec(["kill", "-KILL", "--", ...groups.map((pid) => `-${pid}`)]);
    const killed = await running;
    expect(killed.exitCode).not.toBe(0);
    const ctx = fresh.context;
    const started = Date.now();
    for (const event of [ctx.on.install(), ctx.on.leaderElected(), ctx.on.configChanged(), ctx.on.start()]) {
      const out = await ctx.runUnchecked(event, s);
      expect({ hook: event.name, exit: out.exitCode, stderr: out.stderr.slice(-800) }).toMatchObject({ hook: event.name, exit: 0 });
      s = out.state;
    }
    console.log(`units: re-run after a killed install converged in ${secondsSince(started)} s: ${JSON.stringify(s.unitStatus)}`);
    expect(s.unitStatus.status).toBe("active");
    expect((await fresh.machine.exec(["systemctl", "is-active", "squid"])).stdout.trim()).toBe("active");
    expect((await fresh.machine.exec(["dpkg", "--audit"])).stdout.trim()).toBe("");
  }, 15 * 60_000);

  it("a mirror that answers 404 leaves the unit blocked with the reason, never active", async () => {
    await unit.breakMirror();
    const ctx = unit.context;
    let s: State = state({ leader: true, config: { components: "squid", "dhcp-mode": "off" }, networks: unit.networks() });
    const statuses: string[] = [];
    const started = Date.now();
    for (const event of [ctx.on.install(), ctx.on.leaderElected(), ctx.on.configChanged(), ctx.on.start()]) {
      const out = await ctx.runUnchecked(event, s);
      statuses.push(...out.unitStatusHistory.map((st) => st.status));
      s = out.state;
    }
    console.log(`units: install against the broken mirror ended in ${secondsSince(started)} s: ${JSON.stringify(s.unitStatus)}`);
    expect(statuses).not.toContain("active");
    expect(s.unitStatus.status).toBe("blocked");
    expect(s.unitStatus.message).toMatch(/squid/);
    expect(s.unitStatus.message).toMatch(/404|apt|install/i);
    expect((await unit.machine.exec(["dpkg-query", "--show", "--showformat=${db:Status-Status}", "squid"])).stdout).not.toBe("installed");
  }, 15 * 60_000);
});
