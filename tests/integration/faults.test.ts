/**
 * Faults on a real unit: the mirror answers 404 during install (the unit must end blocked
 * with the reason, never active); an install hook killed half way then run again converges,
 * and so does one after a package was left unpacked without its dependencies.
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

  it("a package a killed hook left unpacked without its dependencies is completed, and the install converges to active", async () => {
    // What a kill between apt's unpacking of squid and of its dependencies leaves, made on
    // purpose: squid unpacked alone. `dpkg --configure -a` cannot finish it (its dependencies
    // are not there): that alone left the unit blocked; apt-get --fix-broken installs them.
    const fresh = await harness.deployUnit({ charmFile: charm.file, index: 2 });
    const env = { PATH: "/usr/sbin:/usr/bin:/sbin:/bin", LANG: "C.UTF-8", DEBIAN_FRONTEND: "noninteractive" };
    await fresh.machine.sh(["apt-get", "update"], { env, timeoutMs: 300_000 });
    await fresh.machine.sh(["apt-get", "install", "--download-only", "--yes", "--no-install-recommends", "squid"], { env, timeoutMs: 300_000 });
    const deb = (await fresh.machine.sh(["sh", "-c", "ls /var/cache/apt/archives/squid_*.deb"])).trim();
    await fresh.machine.sh(["dpkg", "--unpack", deb], { env, timeoutMs: 300_000 });
    expect((await fresh.machine.exec(["dpkg-query", "--show", "--showformat=${db:Status-Status}", "squid"])).stdout).toBe("unpacked");
    const configure = await fresh.machine.exec(["dpkg", "--force-confold", "--configure", "-a"], { env, timeoutMs: 300_000 });
    expect(configure.exitCode, configure.stderr).not.toBe(0);
    expect(configure.stderr).toMatch(/error processing package squid \(--configure\)/);
    const ctx = fresh.context;
    let s: State = state({ leader: true, config: { components: "squid", "dhcp-mode": "off" }, networks: fresh.networks() });
    const started = Date.now();
    for (const event of [ctx.on.install(), ctx.on.leaderElected(), ctx.on.configChanged(), ctx.on.start()]) {
      const out = await ctx.runUnchecked(event, s);
      expect({ hook: event.name, exit: out.exitCode, stderr: out.stderr.slice(-800) }).toMatchObject({ hook: event.name, exit: 0 });
      s = out.state;
    }
    console.log(`units: install after squid was left unpacked alone converged in ${secondsSince(started)} s: ${JSON.stringify(s.unitStatus)}`);
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
