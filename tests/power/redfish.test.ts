import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PowerTarget } from "../../lib/power/power-driver.ts";
import { PowerError } from "../../lib/power/power-errors.ts";
import { builtinPowerTypes } from "../../lib/power/power-types.ts";
import { RedfishPowerDriver } from "../../lib/power/redfish.ts";
import { PowerDriverRegistry } from "../../lib/power/registry.ts";
import { freeTcpPort } from "../helpers/free-port.ts";
import { startRedfishStandIn, type RedfishStandIn } from "./fixtures/redfish-stand-in.ts";

describe("the redfish driver against a Redfish stand-in", () => {
  const password = "Rf-pa55-Kq7";
  let bmc: RedfishStandIn;
  let target: PowerTarget;
  const registry = new PowerDriverRegistry(builtinPowerTypes(), { policy: { delaysMs: [10, 10], attemptTimeoutMs: 10_000 } }).register(new RedfishPowerDriver({ requestTimeoutMs: 2_000 }));
  const redfish = () => registry.get("redfish");

  beforeAll(async () => {
    bmc = await startRedfishStandIn(password);
    target = { systemId: "k7dq3m", params: { address: bmc.url, username: "admin", password } };
  });
  afterAll(async () => {
    await bmc?.close();
  });

  it("powers on and off through ComputerSystem.Reset, following the service's own links", async () => {
    expect(await redfish().queryPower(target)).toBe("off");
    await redfish().powerOn(target);
    expect(bmc.systems.get("1")!.powerState).toBe("On");
    expect(await redfish().queryPower(target)).toBe("on");
    await redfish().powerOff(target);
    expect(bmc.systems.get("1")!.resets.slice(-2)).toEqual(["On", "ForceOff"]);
    expect(bmc.requests.filter((r) => r.method === "POST").every((r) => r.path === "/redfish/v1/Systems/1/Actions/ComputerSystem.Reset")).toBe(true);
  });

  it("power-cycles a running system and switches on one that is off", async () => {
    await redfish().powerCycle(target);
    expect(bmc.systems.get("1")!.resets.at(-1)).toBe("On");
    await redfish().powerCycle(target);
    expect(bmc.systems.get("1")!.resets.at(-1)).toBe("PowerCycle");
    bmc.systems.get("1")!.resetTypes = ["On", "ForceOff", "ForceRestart"];
    await redfish().powerCycle(target);
    expect(bmc.systems.get("1")!.resets.at(-1)).toBe("ForceRestart");
  });

  it("sets a one-time boot override", async () => {
    await redfish().setBootDevice(target, "pxe");
    expect([bmc.systems.get("1")!.bootTarget, bmc.systems.get("1")!.bootEnabled]).toEqual(["Pxe", "Once"]);
    await redfish().setBootDevice(target, "disk");
    expect(bmc.systems.get("1")!.bootTarget).toBe("Hdd");
  });

  it("ends a wrong password in an auth error, not retried, password not shown", async () => {
    const before = bmc.requests.length;
    const error = await redfish().powerOn({ ...target, params: { ...target.params, password: "Wrong-0ne-99" } }).catch((e: unknown) => e);
    expect((error as PowerError).code).toBe("POWER_AUTH_FAILED");
    expect((error as PowerError).details.attempts).toBe(1);
    expect(bmc.requests.length - before).toBe(1);
    expect((error as Error).message).toMatch(/wrong user name or password/);
    expect((error as Error).message).not.toContain("Wrong-0ne-99");
  });

  it("retries a busy BMC (503) and succeeds", async () => {
    bmc.busyFor(2);
    expect(await redfish().queryPower(target)).toBe("on");
  });

  it("gives up on a BMC that never answers in time", async () => {
    const impatient = new PowerDriverRegistry(builtinPowerTypes(), { policy: { delaysMs: [10, 10], attemptTimeoutMs: 10_000 } }).register(new RedfishPowerDriver({ requestTimeoutMs: 300 }));
    bmc.delay(1_500);
    try {
      const error = await impatient.get("redfish").queryPower(target).catch((e: unknown) => e);
      expect((error as PowerError).code).toBe("POWER_CONNECTION_FAILED");
      expect((error as PowerError).details.attempts).toBe(3);
    } finally {
      bmc.delay(0);
    }
  });

  it("gives up on a refused connection", async () => {
    const error = await redfish().powerOn({ ...target, params: { ...target.params, address: `http://127.0.0.1:${await freeTcpPort()}` } }).catch((e: unknown) => e);
    expect((error as PowerError).code).toBe("POWER_CONNECTION_FAILED");
    expect((error as Error).message).toMatch(/gave up after 3 attempts/);
  });

  it("asks which system when the BMC has several, and uses the one named", async () => {
    const multi = await startRedfishStandIn(password, ["1", "2"]);
    try {
      const params = { address: multi.url, username: "admin", password };
      const error = await redfish().powerOn({ systemId: "k7dq3m", params }).catch((e: unknown) => e);
      expect((error as PowerError).code).toBe("INVALID_POWER_PARAMETER");
      await redfish().powerOn({ systemId: "k7dq3m", params: { ...params, system: "2" } });
      expect([multi.systems.get("1")!.powerState, multi.systems.get("2")!.powerState]).toEqual(["Off", "On"]);
    } finally {
      await multi.close();
    }
  });
});
