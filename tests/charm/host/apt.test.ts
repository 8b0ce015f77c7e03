import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ensurePackages } from "../../../charm/host/apt.ts";
import type { Host } from "../../../charm/host/host.ts";
import { OrchestraError } from "../../../lib/errors.ts";

// The charm records what it installed under /var/lib/orchestra: here under a throwaway root,
// never on this machine (a record left there made the real-install test see a unit's state).
const root = mkdtempSync(join(tmpdir(), "orchestra-apt-test-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A Host that records every command; dpkg-query reports `installed` for the listed packages. */
function recordingHost(installed: readonly string[], failingOnce: readonly string[] = []): { host: Host; calls: string[][] } {
  const calls: string[][] = [];
  const failing = new Set(failingOnce);
  const host: Host = {
    root,
    serviceManager: "systemd",
    path: (p) => join(root, p),
    async run(argv) {
      calls.push([...argv]);
      // As the real host's run: a failed command throws COMMAND_FAILED.
      if (failing.delete(argv.join(" "))) throw new OrchestraError("COMMAND_FAILED", `${argv.join(" ")}: exit 1: dpkg: error processing package perl-base (--configure):`);
      return "";
    },
    async tryRun(argv) {
      calls.push([...argv]);
      const name = argv[argv.length - 1]!;
      return installed.includes(name) ? { ok: true, stdout: "installed", stderr: "" } : { ok: false, stdout: "", stderr: "no packages found" };
    },
  };
  return { host, calls };
}

describe("ensurePackages", () => {
  it("finishes a dpkg run a killed hook interrupted before it installs", async () => {
    const { host, calls } = recordingHost([]);
    await ensurePackages(host, ["squid"]);
    const commands = calls.filter((c) => c[0] !== "dpkg-query").map((c) => c[0] === "apt-get" ? `apt-get ${c.find((a) => a === "update" || a === "install")}` : c.join(" "));
    expect(commands).toEqual(["apt-get update", "dpkg --force-confold --configure -a", "apt-get install"]);
  });

  it("unpacks again a package the killed hook left half installed, when configure cannot finish it", async () => {
    const { host, calls } = recordingHost([], ["dpkg --force-confold --configure -a"]);
    expect(await ensurePackages(host, ["squid"])).toEqual(["squid"]);
    const commands = calls.filter((c) => c[0] !== "dpkg-query").map((c) => c[0] === "apt-get" ? `apt-get ${c.filter((a) => ["update", "install", "--fix-broken", "squid"].includes(a)).join(" ")}` : c.join(" "));
    expect(commands).toEqual(["apt-get update", "dpkg --force-confold --configure -a", "apt-get install --fix-broken", "dpkg --force-confold --configure -a", "apt-get install squid"]);
  });

  it("runs nothing but dpkg-query when every package is installed", async () => {
    const { host, calls } = recordingHost(["squid"]);
    expect(await ensurePackages(host, ["squid"])).toEqual([]);
    expect(calls.map((c) => c[0])).toEqual(["dpkg-query"]);
  });
});
