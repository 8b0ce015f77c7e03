/**
 * The discovery ramdisk's in-band BMC user setup, run by busybox's shell against a real
 * ipmi_sim. In the ramdisk ipmitool talks to /dev/ipmi0; here a stand-in `ipmitool` on PATH
 * sends the same commands to the simulator over the LAN as its admin, which ipmi_sim serves
 * from the same user table.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { ENLIST_RETRY_DELAYS_S, renderBmcUserSetup, renderReportDelivery } from "../../lib/images/discovery-init.ts";
import { startIpmiSim, type IpmiSim } from "../power/fixtures/ipmi-sim.ts";

describe("the ramdisk's BMC user setup", () => {
  let sim: IpmiSim;
  let dir: string;

  beforeAll(async () => {
    sim = await startIpmiSim();
    dir = mkdtempSync(join(tmpdir(), "orchestra-bmc-setup-"));
  });
  afterAll(async () => {
    await sim?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Run the setup with `ipmitool` standing for `tool`; returns what it leaves in $bmcuser/$bmcpass and its log. */
  async function setup(tool: string): Promise<{ user: string; pass: string; log: string }> {
    writeFileSync(join(dir, "ipmitool"), tool);
    chmodSync(join(dir, "ipmitool"), 0o755);
    const script = `log() { echo "$*" >&2; }\nbmc=192.0.2.10\n${renderBmcUserSetup()}\necho "$bmcuser:$bmcpass"\n`;
    const run = await execa("busybox", ["sh", "-c", script], { env: { PATH: `${dir}:/usr/bin:/bin`, IPMI_PASSWORD: sim.password } });
    const [user, pass] = run.stdout.trim().split(":");
    return { user: user!, pass: pass!, log: run.stderr };
  }

  const overLan = () => `#!/bin/sh\nexec /usr/bin/ipmitool -I lanplus -H 127.0.0.1 -p ${sim.port} -U ${sim.username} -E -C 3 -N 1 -R 2 "$@"\n`;

  const status = (username: string, password: string) =>
    execa("ipmitool", ["-I", "lanplus", "-H", "127.0.0.1", "-p", String(sim.port), "-U", username, "-E", "-C", "3", "-N", "1", "-R", "1", "chassis", "power", "status"], { reject: false, env: { IPMI_PASSWORD: password } });

  it("creates user orchestra with a random password in the first free slot after 2, with admin rights on the LAN", async () => {
    const first = await setup(overLan());
    expect(first.user).toBe("orchestra");
    expect(first.pass).toMatch(/^[A-Za-z0-9]{16}$/);
    expect(first.log).toMatch(/user orchestra \(slot 3\) set up/);
    expect((await status("orchestra", first.pass)).stdout).toMatch(/Chassis Power is/);
    // The vendor's admin is untouched.
    expect((await status(sim.username, sim.password)).stdout).toMatch(/Chassis Power is/);

    // The next boot reuses the slot, with a new password; the old one stops working.
    const second = await setup(overLan());
    expect(second.log).toMatch(/\(slot 3\)/);
    expect(second.pass).not.toBe(first.pass);
    expect((await status("orchestra", second.pass)).stdout).toMatch(/Chassis Power is/);
    expect((await status("orchestra", first.pass)).exitCode).not.toBe(0);
  }, 60_000);

  it("reports no credentials when the BMC refuses a step (an ipmitool that fails but exits 0)", async () => {
    // Every command is answered as a refusal, with exit code 0, as ipmitool does for some.
    const refusing = `#!/bin/sh\ncase "$*" in "user list"*) exec /usr/bin/ipmitool -I lanplus -H 127.0.0.1 -p ${sim.port} -U ${sim.username} -E -C 3 "$@" ;; esac\necho "Set User Password command failed (user 3)"\nexit 0\n`;
    const result = await setup(refusing);
    expect(result).toMatchObject({ user: "", pass: "" });
    expect(result.log).toMatch(/could not set up a user for Orchestra; reporting its address only/);
  }, 30_000);
});

describe("the ramdisk's report delivery", () => {
  let dir: string;
  let server: Server;
  let refusals = 0;
  let posts = 0;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "orchestra-report-delivery-"));
    writeFileSync(join(dir, "report.json"), '{"version":1}');
    // The enlistment endpoint as a storm meets it: refused (429) `refusals` times, then accepted.
    server = createServer((request, response) => {
      request.resume();
      request.on("end", () => {
        posts++;
        if (posts <= refusals) return void response.writeHead(429, { "content-type": "application/json" }).end('{"error":{"code":"RATE_LIMITED"}}');
        response.writeHead(201, { "content-type": "application/json" }).end('{"systemId":"abc234"}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  });
  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Run the delivery with busybox (its wget, as in the ramdisk); `sleep` and `finish` only record. */
  async function deliver(refused: number): Promise<{ slept: number[]; finished: string; posts: number }> {
    refusals = refused;
    posts = 0;
    const port = (server.address() as AddressInfo).port;
    const script = [
      'log() { echo "$*" >&2; }',
      'sleep() { echo "slept $1"; }',
      'finish() { echo "finish: $1"; exit 0; }',
      "wget() { busybox wget \"$@\"; }",
      `URL=http://127.0.0.1:${port}`,
      renderReportDelivery().replaceAll("/tmp/", `${dir}/`),
    ].join("\n");
    const run = await execa("busybox", ["sh", "-c", script], { env: { PATH: "/usr/bin:/bin" } });
    const lines = run.stdout.trim().split("\n");
    return { slept: lines.filter((l) => l.startsWith("slept ")).map((l) => Number(l.slice(6))), finished: lines.find((l) => l.startsWith("finish: ")) ?? "", posts };
  }

  it("keeps retrying, backing off, for minutes while the server refuses (429), and delivers", async () => {
    const result = await deliver(8);
    expect(result.posts).toBe(9);
    expect(result.finished).toBe('finish: report delivered: {"systemId":"abc234"}');
    expect(result.slept).toEqual(ENLIST_RETRY_DELAYS_S.slice(0, 8));
    // Backing off: each wait at least the one before; eight refusals already span over two minutes.
    expect(result.slept.every((s, i) => i === 0 || s >= result.slept[i - 1]!)).toBe(true);
    expect(result.slept.reduce((a, b) => a + b, 0)).toBeGreaterThan(120);
  }, 30_000);

  it("gives up after its last retry and says so", async () => {
    const result = await deliver(1000);
    expect(result.posts).toBe(ENLIST_RETRY_DELAYS_S.length + 1);
    expect(result.slept).toEqual([...ENLIST_RETRY_DELAYS_S]);
    expect(result.finished).toMatch(/^finish: could not deliver the report to http:\/\/127\.0\.0\.1:\d+\/enlist$/);
  }, 30_000);
});
