import { describe, expect, it } from "vitest";
import { isOrchestraError } from "../../lib/errors.ts";
import type { PowerDriver, PowerState, PowerTarget } from "../../lib/power/power-driver.ts";
import { PowerAuthError, PowerConnectionError, PowerError } from "../../lib/power/power-errors.ts";
import { builtinPowerTypes } from "../../lib/power/power-types.ts";
import { retryPowerAction, withRetries } from "../../lib/power/retry.ts";

/** Records the waits instead of spending them. */
function recorder() {
  const waits: number[] = [];
  return { waits, sleep: async (ms: number) => void waits.push(ms) };
}

/** A driver whose queryPower plays a script of failures, then answers "on". */
function scripted(failures: (() => Error)[]): { driver: PowerDriver; calls: () => number } {
  let calls = 0;
  const query = async (): Promise<PowerState> => {
    const next = failures[calls++];
    if (next) throw next();
    return "on";
  };
  const never = async () => {
    throw new Error("not used");
  };
  return { driver: { type: "ipmi", packages: [], powerOn: never, powerOff: never, powerCycle: never, queryPower: query, setBootDevice: never }, calls: () => calls };
}

const target: PowerTarget = { systemId: "k7dq3m", params: { address: "192.0.2.9", username: "admin", password: "Hunter2-secret" } };
const policy = { delaysMs: [100, 200, 400], attemptTimeoutMs: 5_000 };

describe("the retry loop", () => {
  it("retries connection errors with growing waits and returns the eventual answer", async () => {
    const { driver, calls } = scripted([() => new PowerConnectionError("timeout"), () => new PowerConnectionError("timeout")]);
    const { waits, sleep } = recorder();
    const warnings: string[] = [];
    const retried = withRetries(driver, { powerTypes: builtinPowerTypes(), policy, sleep, logger: { warn: (_f, m) => void warnings.push(m) } });
    expect(await retried.queryPower(target)).toBe("on");
    expect(calls()).toBe(3);
    expect(waits).toEqual([100, 200]);
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(/ipmi power query of k7dq3m: timeout; retrying/);
  });

  it("never retries an auth error", async () => {
    const { driver, calls } = scripted([() => new PowerAuthError("wrong password")]);
    const { waits, sleep } = recorder();
    const error = await withRetries(driver, { powerTypes: builtinPowerTypes(), policy, sleep }).queryPower(target).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PowerAuthError);
    expect((error as PowerError).code).toBe("POWER_AUTH_FAILED");
    expect((error as PowerError).details.attempts).toBe(1);
    expect(calls()).toBe(1);
    expect(waits).toEqual([]);
  });

  it("gives up after the last wait with a visible error that counts the attempts", async () => {
    const { driver, calls } = scripted(Array.from({ length: 10 }, () => () => new PowerConnectionError("no answer")));
    const { waits, sleep } = recorder();
    const error = await withRetries(driver, { powerTypes: builtinPowerTypes(), policy, sleep }).queryPower(target).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PowerConnectionError);
    expect((error as PowerError).code).toBe("POWER_CONNECTION_FAILED");
    expect((error as PowerError).message).toBe("ipmi power query of k7dq3m failed (gave up after 4 attempts): no answer");
    expect((error as PowerError).details.attempts).toBe(4);
    expect(calls()).toBe(4);
    expect(waits).toEqual([100, 200, 400]);
  });

  it("bounds an attempt that hangs, and retries it as a connection failure", async () => {
    let calls = 0;
    const error = await retryPowerAction(
      "hang",
      () => {
        calls++;
        return new Promise<never>(() => undefined);
      },
      { policy: { delaysMs: [1], attemptTimeoutMs: 30 } },
    ).catch((e: unknown) => e);
    expect((error as PowerError).code).toBe("POWER_CONNECTION_FAILED");
    expect((error as Error).message).toMatch(/did not finish within 0.03 s/);
    expect(calls).toBe(2);
  });

  it("does not retry an unexpected (non-power) error", async () => {
    const { driver, calls } = scripted([() => new TypeError("bug")]);
    await expect(withRetries(driver, { powerTypes: builtinPowerTypes(), policy, sleep: recorder().sleep }).queryPower(target)).rejects.toThrow(TypeError);
    expect(calls()).toBe(1);
  });

  it("never rewrites a message by a secret's text: a short password neither garbles the message nor shows through", async () => {
    // With the password "x", masking by substring turned "pxe" into "p********e": garbled, and
    // telling anyone who reads it what the password is.
    const short: PowerTarget = { systemId: "k7dq3m", params: { address: "192.0.2.9", username: "admin", password: "x" } };
    const { driver } = scripted([() => new PowerConnectionError("boot device pxe: no answer"), () => new PowerAuthError("BMC 192.0.2.9:623 refused user admin (wrong password)")]);
    const warnings: string[] = [];
    const error = await withRetries(driver, { powerTypes: builtinPowerTypes(), policy, sleep: recorder().sleep, logger: { warn: (_f, m) => void warnings.push(m) } })
      .queryPower(short)
      .catch((e: unknown) => e);
    expect((error as Error).message).toBe("ipmi power query of k7dq3m failed: BMC 192.0.2.9:623 refused user admin (wrong password)");
    expect(warnings).toEqual(["ipmi power query of k7dq3m: boot device pxe: no answer; retrying"]);
  });

  it("refuses bad settings and bad boot devices before calling the driver", async () => {
    const { driver, calls } = scripted([]);
    const retried = withRetries(driver, { powerTypes: builtinPowerTypes(), policy });
    const bad = await retried.queryPower({ systemId: "k7dq3m", params: { address: "not a host!" } }).catch((e: unknown) => e);
    expect(isOrchestraError(bad, "INVALID_POWER_PARAMETER")).toBe(true);
    const missing = await retried.queryPower({ systemId: "k7dq3m", params: {} }).catch((e: unknown) => e);
    expect(isOrchestraError(missing, "INVALID_POWER_PARAMETER")).toBe(true);
    const device = await retried.setBootDevice(target, "floppy" as "pxe").catch((e: unknown) => e);
    expect(isOrchestraError(device, "INVALID_ARGUMENT")).toBe(true);
    expect(calls()).toBe(0);
  });
});

describe("the verify step after power on and off", () => {
  /** A driver whose power on is accepted, but whose state catches up only after `lag` queries. */
  function lagging(lag: number): { driver: PowerDriver; ons: () => number } {
    let ons = 0;
    let queries = 0;
    const never = async () => {
      throw new Error("not used");
    };
    return {
      ons: () => ons,
      driver: {
        type: "ipmi",
        packages: [],
        powerOn: async () => {
          ons++;
          return { outcome: "done", message: "on" };
        },
        powerOff: never,
        powerCycle: never,
        queryPower: async () => (++queries > lag ? "on" : "off"),
        setBootDevice: never,
      },
    };
  }

  it("retries a power on the machine did not follow, and succeeds once it does", async () => {
    const { driver, ons } = lagging(1);
    const { waits, sleep } = recorder();
    expect((await withRetries(driver, { powerTypes: builtinPowerTypes(), policy, sleep }).powerOn(target)).outcome).toBe("done");
    expect(ons()).toBe(2);
    expect(waits).toEqual([100]);
  });

  it("gives up visibly when the machine never follows", async () => {
    const { driver, ons } = lagging(100);
    const error = await withRetries(driver, { powerTypes: builtinPowerTypes(), policy, sleep: recorder().sleep }).powerOn(target).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PowerConnectionError);
    expect((error as Error).message).toMatch(/gave up after 4 attempts\): power on was accepted, but the machine reports off/);
    expect(ons()).toBe(4);
  });

  it("can be turned off", async () => {
    const { driver, ons } = lagging(100);
    await withRetries(driver, { powerTypes: builtinPowerTypes(), policy, verify: false }).powerOn(target);
    expect(ons()).toBe(1);
  });
});
