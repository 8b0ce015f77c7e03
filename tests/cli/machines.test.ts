import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { orchestra } from "../helpers/cli.ts";
import { tempDataDir } from "../helpers/inventory.ts";

let dataDir: string;
let cleanup: () => void;
beforeEach(() => ({ dir: dataDir, cleanup } = tempDataDir()));
afterEach(() => cleanup());

const run = (...args: string[]) => orchestra(["--data-dir", dataDir, ...args]);

async function listJson(): Promise<Record<string, unknown>[]> {
  const list = await run("machines", "list", "--json");
  expect(list.exitCode).toBe(0);
  return JSON.parse(list.stdout);
}

describe("orchestra machines", () => {
  it("add --json then list --json round-trips every field, with secrets redacted", async () => {
    const add = await run(
      "machines", "add",
      "--mac", "52:54:00:12:34:56", "--mac", "52-54-00-12-34-57", "--boot-mac", "52-54-00-12-34-57",
      "--hostname", "rack1-node7", "--arch", "arm64", "--cpus", "48", "--memory-mib", "131072",
      "--disk-gib", "960", "--disk-gib", "4000", "--zone", "rack-1", "--tag", "ssd", "--tag", "gpu",
      "--power-type", "ipmi", "--power-param", "address=198.51.100.20", "--power-param", "username=admin", "--power-param", "password=hunter2",
      "--json",
    );
    expect(add.stderr).toBe("");
    expect(add.exitCode).toBe(0);
    expect(add.stdout).not.toContain("hunter2");
    const added = JSON.parse(add.stdout);
    expect(added).toMatchObject({
      hostname: "rack1-node7",
      status: "new",
      architecture: "arm64",
      cpus: 48,
      memoryMib: 131072,
      storageBytes: (960 + 4000) * 1024 ** 3,
      disks: [{ name: "disk0", sizeBytes: 960 * 1024 ** 3 }, { name: "disk1", sizeBytes: 4000 * 1024 ** 3 }],
      interfaces: [{ mac: "52:54:00:12:34:56", name: "eth0", boot: false }, { mac: "52:54:00:12:34:57", name: "eth1", boot: true }],
      power: { type: "ipmi", params: { address: "198.51.100.20", username: "admin", password: "********" }, testOnly: false },
      zone: "rack-1",
      tags: ["ssd", "gpu"],
    });
    expect(added.systemId).toMatch(/^[a-z0-9]{6}$/);
    const listed = await listJson();
    // A listing adds the instance the machine holds (none here).
    expect(listed).toEqual([{ ...added, instance: null }]);
    const show = await run("machines", "show", "52:54:00:12:34:57", "--json");
    expect(JSON.parse(show.stdout)).toMatchObject({ ...added, events: [{ seq: 1, from: null, to: "new" }] });
  });

  it("labels fake machines as test-only, and carries them through the lifecycle at once", async () => {
    const add = await run("machines", "add", "--mac", "52:54:00:00:00:10", "--hostname", "f1", "--cpus", "2", "--memory-mib", "2048", "--power-type", "fake");
    expect(add.stdout).toMatch(/TEST ONLY/);
    const table = await run("machines", "list");
    expect(table.stdout).toMatch(/fake \(TEST ONLY\)/);
    expect((await run("machines", "accept", "f1")).exitCode).toBe(0);
    const allocate = await run("machines", "allocate", "--instance-type", "t2.micro", "--json");
    expect(allocate.exitCode).toBe(0);
    const { instance, machine } = JSON.parse(allocate.stdout);
    expect(instance.instanceId).toMatch(/^i-[0-9a-f]{17}$/);
    expect(machine).toMatchObject({ hostname: "f1", status: "allocated" });
    expect(JSON.parse((await run("machines", "allocate", "--json")).stderr)).toMatchObject({ error: { code: "NO_CAPACITY" } });
    expect((await run("machines", "release", "f1", "--json")).exitCode).toBe(0);
    expect((await listJson())[0]).toMatchObject({ status: "ready" });
    expect((await run("machines", "mark-broken", "f1", "--reason", "fan")).exitCode).toBe(0);
    expect((await run("machines", "commission", "f1")).exitCode).toBe(0);
    expect((await listJson())[0]).toMatchObject({ status: "ready" });
    expect((await run("machines", "delete", "f1")).exitCode).toBe(0);
    expect(await listJson()).toEqual([]);
  });

  const refusals: [string, string[], RegExp][] = [
    ["a malformed MAC", ["machines", "add", "--mac", "52:54:00:zz:00:01", "--power-type", "manual"], /invalid MAC address/],
    ["a negative size", ["machines", "add", "--mac", "52:54:00:00:00:01", "--power-type", "manual", "--memory-mib", "-4"], /--memory-mib must be a non-negative whole number/],
    ["a size that is not a number", ["machines", "add", "--mac", "52:54:00:00:00:01", "--power-type", "manual", "--disk-gib", "lots"], /--disk-gib must be a non-negative whole number/],
    ["an unknown power type", ["machines", "add", "--mac", "52:54:00:00:00:01", "--power-type", "telekinesis"], /unknown power type "telekinesis"/],
    ["a power parameter without =", ["machines", "add", "--mac", "52:54:00:00:00:01", "--power-type", "ipmi", "--power-param", "address"], /--power-param takes KEY=VALUE/],
    ["an unknown machine", ["machines", "show", "nosuchmachine"], /no machine has system id, hostname or MAC "nosuchmachine"/],
    ["a boot MAC that is not one of the MACs", ["machines", "add", "--mac", "52:54:00:00:00:01", "--boot-mac", "52:54:00:00:00:02", "--power-type", "manual"], /--boot-mac/],
  ];

  it.each(refusals)("refuses %s with one clear line, exit 1, and writes nothing", async (_name, args, message) => {
    const result = await run(...args);
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(message);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(await listJson()).toEqual([]);
  });

  it("refuses a duplicate MAC and an illegal transition, naming what is allowed", async () => {
    expect((await run("machines", "add", "--mac", "52:54:00:00:00:01", "--hostname", "one", "--power-type", "manual")).exitCode).toBe(0);
    const dup = await run("machines", "add", "--mac", "52-54-00-00-00-01", "--power-type", "manual");
    expect(dup.exitCode).toBe(1);
    expect(dup.stderr).toMatch(/MAC 52:54:00:00:00:01 already belongs to machine/);
    const illegal = await run("machines", "release", "one");
    expect(illegal.exitCode).toBe(1);
    expect(illegal.stderr).toMatch(/is new; it cannot move to releasing \(from new it may move to: commissioning, broken, retired\)/);
    expect(await listJson()).toHaveLength(1);
  });

  it("a batch with one unknown machine changes none of them", async () => {
    await run("machines", "add", "--mac", "52:54:00:00:00:01", "--hostname", "one", "--power-type", "manual");
    const result = await run("machines", "accept", "one", "ghost");
    expect(result.exitCode).toBe(1);
    expect((await listJson())[0]).toMatchObject({ status: "new" });
  });

  it("answers usage errors with exit 1 and their code, and help with exit 0", async () => {
    const missing = await run("machines", "add", "--power-type", "manual");
    expect([missing.exitCode, missing.stderr]).toEqual([1, "orchestra: error [MISSING_ARGUMENT]: required option '--mac <mac>' not specified (add --help for usage)"]);
    const unknown = await run("machines", "frobnicate");
    expect([unknown.exitCode, unknown.stderr]).toEqual([1, "orchestra: error [USAGE]: unknown command 'frobnicate' (add --help for usage)"]);
    const help = await run("machines", "add", "--help");
    expect(help.exitCode).toBe(0);
    expect(help.stdout).toMatch(/--power-param <key=value>/);
  });

  it("takes the data directory from ORCHESTRA_DATA_DIR", async () => {
    const add = await orchestra(["machines", "add", "--mac", "52:54:00:00:00:01", "--power-type", "manual"], { ORCHESTRA_DATA_DIR: dataDir });
    expect(add.exitCode).toBe(0);
    expect(await listJson()).toHaveLength(1);
  });
});

describe("orchestra instance-types", () => {
  it("lists built-ins, defines, refuses duplicates and bad sizes, deletes", async () => {
    const list = JSON.parse((await run("instance-types", "list", "--json")).stdout);
    expect(list.find((t: { name: string }) => t.name === "m5.large")).toMatchObject({ cpus: 2, memoryMib: 8192, builtin: true });
    const define = await run("instance-types", "define", "bm.huge", "--cpus", "64", "--memory-mib", "262144", "--disk-gib", "2000", "--json");
    expect(JSON.parse(define.stdout)).toMatchObject({ name: "bm.huge", cpus: 64, builtin: false });
    expect((await run("instance-types", "define", "bm.huge", "--cpus", "1", "--memory-mib", "1")).stderr).toMatch(/exists already/);
    expect((await run("instance-types", "define", "bm.neg", "--cpus", "-1", "--memory-mib", "1")).exitCode).toBe(1);
    expect((await run("instance-types", "delete", "bm.huge")).exitCode).toBe(0);
    expect((await run("instance-types", "delete", "bm.huge")).exitCode).toBe(1);
  });
});
