import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IpmiPowerDriver } from "../../lib/power/ipmi.ts";
import { PowerAuthError, PowerConnectionError, PowerError } from "../../lib/power/power-errors.ts";
import type { PowerTarget } from "../../lib/power/power-driver.ts";
import { PowerDriverRegistry } from "../../lib/power/registry.ts";
import { builtinPowerTypes } from "../../lib/power/power-types.ts";
import { freeUdpPort } from "../helpers/free-port.ts";
import { startIpmiSim, type IpmiSim } from "./fixtures/ipmi-sim.ts";

// The same behaviour through either tool: ipmitool, and FreeIPMI where ipmitool is absent.
describe.each([
  { tool: "ipmitool" as const, refusal: /Set Chassis Boot Parameter 5 failed/ },
  { tool: "freeipmi" as const, refusal: /Failed to commit `Chassis_Boot_Flags:Boot_Device'/ },
])("the ipmi driver ($tool) against a real ipmi_sim", ({ tool, refusal }) => {
  let sim: IpmiSim;
  let target: PowerTarget;
  // One resend keeps the "no answer" case short; a real BMC gets the default two.
  const driver = new IpmiPowerDriver({ tool, resends: 1 });
  // Short waits: the behaviour of the loop is what is tested, not its durations.
  const registry = new PowerDriverRegistry(builtinPowerTypes(), { policy: { delaysMs: [50], attemptTimeoutMs: 30_000 } }).register(driver);

  beforeAll(async () => {
    sim = await startIpmiSim();
    target = { systemId: "k7dq3m", hostname: "rack1-node7", params: { address: "127.0.0.1", port: String(sim.port), username: sim.username, password: sim.password } };
  });
  afterAll(async () => {
    await sim?.stop();
  });

  it("powers the simulated chassis on and off, and reads its state back", async () => {
    expect(await driver.queryPower(target)).toBe("off");
    const on = await registry.get("ipmi").powerOn(target);
    expect(on.outcome).toBe("done");
    expect(sim.power()).toBe("1");
    expect(await driver.queryPower(target)).toBe("on");
    await registry.get("ipmi").powerOff(target);
    expect(sim.power()).toBe("0");
    expect(await driver.queryPower(target)).toBe("off");
  });

  it("power-cycles a running chassis, and powers on one that is off", async () => {
    await driver.powerOn(target);
    const before = sim.calls().length;
    await driver.powerCycle(target);
    expect(sim.calls().slice(before)).toContain("set power 0");
    await driver.powerOff(target);
    await driver.powerCycle(target);
    expect(sim.power()).toBe("1");
    await driver.powerOff(target);
  });

  it("sets the boot device, as the simulated chassis records it", async () => {
    await driver.setBootDevice(target, "pxe");
    expect(sim.boot()).toBe("pxe");
    await driver.setBootDevice(target, "disk");
    // ipmi_sim names IPMI's "force boot from default hard drive" selector "default".
    expect(sim.boot()).toBe("default");
  });

  it("reports a refused boot device change (ipmitool even exits 0 then)", async () => {
    sim.refuseBootChanges(true);
    try {
      const error = await registry.get("ipmi").setBootDevice(target, "pxe").catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PowerError);
      expect((error as PowerError).code).toBe("POWER_COMMAND_FAILED");
      expect((error as PowerError).message).toMatch(refusal);
      expect((error as PowerError).details.attempts).toBe(1);
      expect(sim.boot()).toBe("default");
    } finally {
      sim.refuseBootChanges(false);
    }
  });

  it("ends a wrong password in an auth error naming the cause, without retrying or printing the password", async () => {
    const wrong = "Wr0ng-pa55word-xyz";
    const before = sim.calls().length;
    const error = await registry.get("ipmi").powerOn({ ...target, params: { ...target.params, password: wrong } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PowerError);
    expect((error as PowerError).code).toBe("POWER_AUTH_FAILED");
    expect(error).toBeInstanceOf(PowerAuthError);
    expect((error as PowerError).message).toMatch(/wrong password/);
    expect((error as PowerError).details.attempts).toBe(1);
    expect(JSON.stringify({ message: (error as Error).message, details: (error as PowerError).details })).not.toContain(wrong);
    expect(sim.calls().length).toBe(before);
    expect(sim.power()).toBe("0");
  });

  it("names an unknown user as an auth error too", async () => {
    const error = await driver.queryPower({ ...target, params: { ...target.params, username: "nobody" } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PowerAuthError);
    expect((error as Error).message).toMatch(/unknown user name/);
  });

  it("retries a BMC that does not answer, then gives up with a visible connection error", async () => {
    const silent = { ...target, params: { ...target.params, port: String(await freeUdpPort()) } };
    const error = await registry.get("ipmi").queryPower(silent).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PowerError);
    expect((error as PowerError).code).toBe("POWER_CONNECTION_FAILED");
    expect(error).toBeInstanceOf(PowerConnectionError);
    expect((error as PowerError).details.attempts).toBe(2);
    expect((error as Error).message).toMatch(/gave up after 2 attempts.*no answer from the BMC/);
  });

  it("says so when the tool is not installed", async () => {
    const missing = tool === "ipmitool" ? new IpmiPowerDriver({ ipmitool: "/nonexistent/ipmitool" }) : new IpmiPowerDriver({ tool, freeipmiSbin: "/nonexistent" });
    const error = await missing.queryPower(target).catch((e: unknown) => e);
    expect((error as PowerError).code).toBe("POWER_TOOL_MISSING");
    expect((error as PowerError).retryable).toBe(false);
  });
});
