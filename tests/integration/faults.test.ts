/**
 * Faults on a real unit: the mirror answers 404 during install (the unit must end blocked
 * with the reason, never active), and a hook killed half way then run again converges.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { state, type State } from "../../lib/testing/index.ts";
import type { CharmUnit, UnitHarness } from "../../lib/testing/units/index.ts";
import { packedCharm, secondsSince, startHarness } from "./unit-fixture.ts";

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
