import { describe, expect, it } from "vitest";
import { isOrchestraError } from "../../lib/errors.ts";
import { FakePowerDriver } from "../../lib/power/fake.ts";
import { ManualPowerDriver } from "../../lib/power/manual.ts";
import { powerTargetFor } from "../../lib/power/power-target.ts";
import { builtinPowerTypes } from "../../lib/power/power-types.ts";
import { builtinPowerDrivers, PowerDriverRegistry } from "../../lib/power/registry.ts";

describe("the power driver registry", () => {
  it("has exactly one driver per built-in power type", () => {
    expect(builtinPowerDrivers().types().sort()).toEqual(builtinPowerTypes().names().sort());
  });

  it("refuses a second driver for a type, and a driver whose type has no schema", () => {
    const registry = new PowerDriverRegistry(builtinPowerTypes()).register(new ManualPowerDriver());
    expect(() => registry.register(new ManualPowerDriver())).toThrow(/registered already/);
    expect(() => registry.register({ ...new ManualPowerDriver(), type: "ilo" } as ManualPowerDriver)).toThrow(/unknown power type "ilo"/);
  });

  it("answers an unknown type with UNKNOWN_POWER_TYPE", () => {
    let error: unknown;
    try {
      builtinPowerDrivers().get("amt");
    } catch (e) {
      error = e;
    }
    expect(isOrchestraError(error, "UNKNOWN_POWER_TYPE")).toBe(true);
  });

  it("lists the Debian packages its drivers run", () => {
    expect(builtinPowerDrivers().packages()).toEqual(["ipmitool", "qemu-system-x86"]);
  });
});

describe("the manual driver", () => {
  it("never claims to have done anything: it asks the operator, naming the machine", async () => {
    const manual = builtinPowerDrivers().get("manual");
    const target = { systemId: "k7dq3m", hostname: "rack1-node7", params: {} };
    for (const result of [await manual.powerOn(target), await manual.powerOff(target), await manual.powerCycle(target), await manual.setBootDevice(target, "pxe")]) {
      expect(result.outcome).toBe("operator-action-required");
      expect(result.message).toMatch(/^operator action required: .*rack1-node7 \(k7dq3m\)/);
    }
    expect(await manual.queryPower(target)).toBe("unknown");
  });
});

describe("the fake driver (test only)", () => {
  it("switches in-memory state at once and labels every result", async () => {
    const fake = new FakePowerDriver();
    const registry = new PowerDriverRegistry(builtinPowerTypes()).register(fake);
    const target = { systemId: "k7dq3m", params: {} };
    expect(await registry.get("fake").queryPower(target)).toBe("off");
    expect((await registry.get("fake").powerOn(target)).message).toMatch(/TEST ONLY/);
    expect(await registry.get("fake").queryPower(target)).toBe("on");
    await registry.get("fake").setBootDevice(target, "disk");
    expect(fake.bootDevice.get("k7dq3m")).toBe("disk");
    expect(builtinPowerTypes().get("fake").testOnly).toBe(true);
  });
});

describe("a machine as a power target", () => {
  it("carries the machine's identity, power parameters and boot MAC", () => {
    const target = powerTargetFor({
      systemId: "k7dq3m",
      hostname: "rack1-node7",
      power: { type: "wol", params: { broadcast: "192.0.2.255" } },
      interfaces: [{ mac: "52:54:00:00:00:01", name: "eth0", boot: false }, { mac: "52:54:00:00:00:02", name: "eth1", boot: true }],
    });
    expect(target).toEqual({ systemId: "k7dq3m", hostname: "rack1-node7", params: { broadcast: "192.0.2.255" }, bootMac: "52:54:00:00:00:02" });
  });
});
