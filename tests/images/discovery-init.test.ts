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
import { renderBmcUserSetup } from "../../lib/images/discovery-init.ts";
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
