import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { pino } from "pino";
import { afterAll, describe, expect, it } from "vitest";
import { checkDnsmasqConfig, superviseDnsmasq } from "../../lib/boot/dnsmasq-process.ts";

const dir = mkdtempSync(join(tmpdir(), "orchestra-supervisor-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A stand-in for dnsmasq: logs a lease and an unknown-architecture request, then exits or waits. */
function fakeDnsmasq(behaviour: "exit" | "stay"): string {
  const path = join(dir, `fake-dnsmasq-${behaviour}`);
  writeFileSync(
    path,
    `#!/bin/sh
echo "started $*" >> ${dir}/starts-${behaviour}
echo "dnsmasq-dhcp[1]: 7 DHCPDISCOVER(br0) 52:54:00:aa:bb:cc" >&2
echo "dnsmasq-dhcp[1]: 7 vendor class: PXEClient:Arch:00011:UNDI:003016" >&2
echo "dnsmasq-dhcp[1]: 8 DHCPACK(br0) 192.0.2.150 52:54:00:12:34:56" >&2
${behaviour === "exit" ? "exit 3" : "trap 'exit 0' TERM; while true; do sleep 0.05; done"}
`,
  );
  chmodSync(path, 0o755);
  return path;
}

function capture() {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino({ level: "debug" }, { write: (line: string) => lines.push(JSON.parse(line)) });
  return { lines, logger };
}

describe("the dnsmasq supervisor", () => {
  it("passes dnsmasq's log into Orchestra's, naming the MAC of a client whose architecture gets no loader", async () => {
    const { lines, logger } = capture();
    const supervisor = superviseDnsmasq("/etc/orchestra-test.conf", logger, fakeDnsmasq("stay"));
    for (let i = 0; i < 100 && !lines.some((l) => l.msg === "DHCP lease"); i++) await sleep(20);
    expect(supervisor.pid()).toBeGreaterThan(0);
    expect(lines).toContainEqual(expect.objectContaining({ msg: "DHCP lease", mac: "52:54:00:12:34:56", address: "192.0.2.150" }));
    expect(lines).toContainEqual(expect.objectContaining({ level: 40, mac: "52:54:00:aa:bb:cc", arch: 11, msg: expect.stringMatching(/gets no boot loader/) }));
    await supervisor.stop();
    expect(supervisor.pid()).toBeUndefined();
    expect(readFileSync(join(dir, "starts-stay"), "utf8")).toBe("started --keep-in-foreground --conf-file=/etc/orchestra-test.conf --log-facility=-\n");
  });

  it("restarts a dnsmasq that dies, with back-off, and stops restarting once stopped", async () => {
    const { lines, logger } = capture();
    const supervisor = superviseDnsmasq("/etc/orchestra-test.conf", logger, fakeDnsmasq("exit"));
    // The first restart comes after 1 s; when the second child dies, the next wait is 2 s.
    for (let i = 0; i < 250 && lines.filter((l) => l.msg === "dnsmasq exited; restarting").length < 2; i++) await sleep(20);
    await supervisor.stop();
    const starts = readFileSync(join(dir, "starts-exit"), "utf8").trim().split("\n").length;
    expect(starts).toBe(2);
    expect(lines.filter((l) => l.msg === "dnsmasq exited; restarting").map((l) => l.retryInMs)).toEqual([1000, 2000]);
    await sleep(2500);
    expect(readFileSync(join(dir, "starts-exit"), "utf8").trim().split("\n").length).toBe(starts);
  });

  it("a missing dnsmasq is a clear prerequisite error", async () => {
    await expect(checkDnsmasqConfig("/etc/x.conf", join(dir, "no-such-dnsmasq"))).rejects.toMatchObject({ code: "PREREQUISITE_MISSING" });
  });
});
