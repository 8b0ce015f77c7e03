/**
 * The chassis_control script, rendered and then run by sh as ipmi_sim runs it, against a
 * stand-in for qemu that daemonizes like qemu does (a background process, a pidfile).
 */
import { execFileSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { renderChassisControl, shellQuote } from "../../lib/lab/chassis-control.ts";
import { processStartTime } from "../../lib/lab/lab-processes.ts";

// Writes its arguments (one per line) and daemonizes: a child that names the pidfile, then exit.
const FAKE_QEMU = `#!/bin/sh
dir=$(dirname "$0")
printf '%s\\n' "$@" > "$dir/argv"
while [ $# -gt 0 ]; do [ "$1" = -pidfile ] && pidfile=$2; shift; done
sh -c 'sleep 60; :' fake-qemu -pidfile "$pidfile" </dev/null >/dev/null 2>&1 &
echo $! > "$pidfile"
`;

describe("the chassis_control script", () => {
  let dir: string;
  let script: string;
  const weird = `it's a "$HOME" \`id\` $(id) ; \\ word`;

  beforeEach(() => {
    // A space and a quote in the directory: every path must be quoted in the script.
    dir = mkdtempSync(join(tmpdir(), "orchestra chassis '"));
    const fake = join(dir, "fake-qemu");
    writeFileSync(fake, FAKE_QEMU);
    chmodSync(fake, 0o755);
    const pidFile = join(dir, "vm.pid");
    script = join(dir, "chassis-control.sh");
    writeFileSync(script, renderChassisControl({ name: "node0", startPxe: [fake, "-boot", "order=n", "-pidfile", pidFile, weird], startDisk: [fake, "-boot", "order=c", "-pidfile", pidFile], pidFile, bootFile: join(dir, "boot"), logFile: join(dir, "qemu.log") }));
  });
  afterEach(() => {
    run("set", "power", "0");
    rmSync(dir, { recursive: true, force: true });
  });

  const run = (...args: string[]) => execFileSync("sh", [script, ...args], { encoding: "utf8" });

  it("says off and default before anything happened", () => {
    expect(run("get", "power", "boot")).toBe("power:0\nboot:default\n");
  });

  it("starts qemu with the boot device set last, every argument intact, and stops it by its pidfile", async () => {
    run("set", "boot", "pxe");
    run("set", "power", "1");
    expect(run("get", "power", "boot")).toBe("power:1\nboot:pxe\n");
    expect(readFileSync(join(dir, "argv"), "utf8").split("\n").slice(0, -1)).toEqual(["-boot", "order=n", "-pidfile", join(dir, "vm.pid"), weird]);
    const pid = Number(readFileSync(join(dir, "vm.pid"), "utf8"));
    // Powering on what is on does not start a second one.
    run("set", "power", "1");
    expect(Number(readFileSync(join(dir, "vm.pid"), "utf8"))).toBe(pid);
    run("set", "power", "0");
    expect(run("get", "power")).toBe("power:0\n");
    expect(await processStartTime(pid)).toBeUndefined();
  });

  it("boots from disk after `set boot default`, and a reset starts qemu afresh with it", () => {
    run("set", "boot", "pxe");
    run("set", "power", "1");
    const first = Number(readFileSync(join(dir, "vm.pid"), "utf8"));
    run("set", "boot", "default");
    run("set", "reset", "1");
    expect(run("get", "power", "boot")).toBe("power:1\nboot:default\n");
    expect(Number(readFileSync(join(dir, "vm.pid"), "utf8"))).not.toBe(first);
    expect(readFileSync(join(dir, "argv"), "utf8")).toContain("order=c\n");
    run("set", "shutdown", "1");
    expect(run("get", "power")).toBe("power:0\n");
  });

  it("does not take a pid that no longer names its pidfile for its qemu", () => {
    // A pid reused by another process: the pidfile names it, but it is not our qemu.
    writeFileSync(join(dir, "vm.pid"), `${process.pid}\n`);
    expect(run("get", "power")).toBe("power:0\n");
  });

  it("refuses a boot device that is not a plain word, and unknown requests", () => {
    expect(() => run("set", "boot", "pxe;reboot")).toThrow();
    expect(() => run("set", "fan", "1")).toThrow();
    expect(run("get", "boot")).toBe("boot:default\n");
  });
});

describe("shellQuote", () => {
  it("single-quotes, closing and reopening the quote around a single quote", () => {
    expect(shellQuote("plain")).toBe("'plain'");
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
    expect(execFileSync("sh", ["-c", `printf %s ${shellQuote("$(id) `x` \\ '\"")}`], { encoding: "utf8" })).toBe("$(id) `x` \\ '\"");
  });
});
