/**
 * The verbs an operator coming from MAAS reaches for: power, wait, retire, instances, and who
 * holds a machine in `machines list`.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { orchestra } from "../helpers/cli.ts";
import { tempDataDir } from "../helpers/inventory.ts";

let dataDir: string;
let cleanup: () => void;
beforeEach(() => ({ dir: dataDir, cleanup } = tempDataDir()));
afterEach(() => cleanup());

const run = (...args: string[]) => orchestra(["--data-dir", dataDir, ...args]);

async function readyFakeMachine(hostname: string, mac: string): Promise<void> {
  expect((await run("machines", "add", "--mac", mac, "--hostname", hostname, "--cpus", "2", "--memory-mib", "4096", "--disk-gib", "20", "--power-type", "fake")).exitCode).toBe(0);
  expect((await run("machines", "accept", hostname)).exitCode).toBe(0);
}

describe("orchestra machines: the operator's verbs", () => {
  it("shows the owner and instance of an allocated machine, and lists instances per account", async () => {
    await readyFakeMachine("f1", "52:54:00:00:00:01");
    await readyFakeMachine("f2", "52:54:00:00:00:02");
    const allocated = JSON.parse((await run("machines", "allocate", "--account", "bob", "--json")).stdout);
    const list = (await run("machines", "list")).stdout.split("\n");
    expect(list[0]).toMatch(/ZONE\s+OWNER\s+INSTANCE\s+POWER/);
    const held = list.find((l) => l.startsWith(allocated.machine.hostname))!;
    expect(held).toContain(` bob `);
    expect(held).toContain(allocated.instance.instanceId);
    const instances = (await run("instances", "list", "--account", "bob")).stdout;
    expect(instances).toMatch(new RegExp(`^${allocated.instance.instanceId}\\s+bob\\s+${allocated.machine.hostname}\\s`, "m"));
    expect((await run("instances", "list", "--account", "alice")).stdout).toBe("no instances");
  });

  it("powers machines through their driver, and tells the operator what a manual machine needs", async () => {
    await readyFakeMachine("f1", "52:54:00:00:00:01");
    const cycle = await run("machines", "power", "cycle", "f1");
    expect(cycle.stdout).toMatch(/^f1 \([a-z0-9]{6}\): fake power \(TEST ONLY\): .* was power-cycled$/);
    const status = await run("machines", "power", "status", "f1", "--json");
    expect(JSON.parse(status.stdout)).toEqual([expect.objectContaining({ hostname: "f1", power: "off" })]);
    await run("machines", "add", "--mac", "52:54:00:00:00:09", "--hostname", "m1", "--power-type", "manual");
    const manual = await run("machines", "power", "on", "m1");
    expect(manual.exitCode).toBe(0);
    expect(manual.stdout).toMatch(/^m1 \([a-z0-9]{6}\): .*power/i);
    const bad = await run("machines", "power", "sideways", "f1");
    expect(bad.stderr).toBe('orchestra: error [INVALID_ARGUMENT]: invalid power action "sideways": on, off, cycle or status');
  });

  it("waits for a state, gives up with a code, and retires", async () => {
    await readyFakeMachine("f1", "52:54:00:00:00:01");
    expect((await run("machines", "wait", "f1", "--status", "ready")).stdout).toBe("f1: ready");
    const late = await run("machines", "wait", "f1", "--status", "deployed", "--timeout-seconds", "0");
    expect([late.exitCode, late.stderr]).toEqual([1, "orchestra: error [WAIT_TIMED_OUT]: gave up after 0 s waiting for deployed: f1 is ready"]);
    expect((await run("machines", "retire", "f1", "--json")).exitCode).toBe(0);
    expect((await run("machines", "wait", "f1", "--status", "retired")).stdout).toBe("f1: retired");
  });
});

describe("orchestra machines update", () => {
  it("fixes a mistyped BMC password in place, keeping the other parameters, the state and the secret hidden", async () => {
    await run("machines", "add", "--mac", "52:54:00:00:00:01", "--hostname", "rack1-node7", "--zone", "rack-1", "--tag", "ssd",
      "--power-type", "ipmi", "--power-param", "address=198.51.100.20", "--power-param", "username=admin", "--power-param", "password=hunter3");
    const updated = await run("machines", "update", "rack1-node7", "--power-param", "password=hunter2", "--hostname", "r1n7", "--zone", "rack-2", "--tag", "gpu", "--remove-tag", "ssd", "--json");
    expect(updated.exitCode, updated.stderr).toBe(0);
    expect(updated.stdout).not.toContain("hunter");
    const view = JSON.parse(updated.stdout);
    expect(view).toMatchObject({ hostname: "r1n7", zone: "rack-2", tags: ["gpu"], status: "new", power: { type: "ipmi", params: { address: "198.51.100.20", username: "admin", password: "********" } } });
    const show = JSON.parse((await run("machines", "show", "r1n7", "--json")).stdout);
    expect(show.events.at(-1).reason).toMatch(/^updated by the operator: hostname rack1-node7 -> r1n7; zone rack-1 -> rack-2; tags gpu; power ipmi \(password\)$/);
    expect(JSON.parse((await run("zones", "list", "--json")).stdout).map((z: { name: string }) => z.name)).toEqual(["default", "rack-1", "rack-2"]);
  });

  it("refuses a bad parameter and changes nothing", async () => {
    await run("machines", "add", "--mac", "52:54:00:00:00:01", "--hostname", "n1", "--power-type", "ipmi", "--power-param", "address=198.51.100.20");
    const bad = await run("machines", "update", "n1", "--hostname", "n2", "--power-param", "colour=blue");
    expect(bad.exitCode).toBe(1);
    expect(bad.stderr).toMatch(/^orchestra: error \[INVALID_POWER_PARAMETER\]/);
    expect(JSON.parse((await run("machines", "show", "n1", "--json")).stdout).hostname).toBe("n1");
  });
});

describe("a manual machine", () => {
  it("tells the operator, at accept, what to do by hand (not only in the server log)", async () => {
    await run("machines", "add", "--mac", "52:54:00:00:00:01", "--hostname", "m1", "--power-type", "manual");
    const accepted = await run("machines", "accept", "m1");
    expect(accepted.stdout.split("\n").at(-1)).toMatch(/^m1: operator action required: make m1 \([a-z0-9]{6}\) boot from the network \(PXE\) next; operator action required: reset or power-cycle m1/);
  });
});
