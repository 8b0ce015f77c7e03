/**
 * @module power/retry
 * The retry-with-back-off loop, written once for every driver (MAAS's lesson): drivers do
 * one bounded attempt; this loop retries what may succeed next time (PowerConnectionError),
 * never what will not (auth, refused commands, bad settings), and gives up with a visible
 * error that says how many attempts were made.
 */
import { OrchestraError } from "../errors.ts";
import { PowerConnectionError, PowerError } from "./power-errors.ts";
import type { BootDevice, PowerActionResult, PowerDriver, PowerState, PowerTarget } from "./power-driver.ts";
import { BOOT_DEVICES, describeTarget } from "./power-driver.ts";
import type { PowerTypeRegistry } from "./power-types.ts";

/** How the loop behaves. */
export interface RetryPolicy {
  /** Waits between attempts, in ms: n waits allow n + 1 attempts. */
  readonly delaysMs: readonly number[];
  /** A backstop on each attempt, in ms, in case a driver's own timeouts fail to fire. */
  readonly attemptTimeoutMs: number;
}

/** MAAS-like waits: four retries over about a minute. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = { delaysMs: [2_000, 4_000, 8_000, 16_000], attemptTimeoutMs: 60_000 };

/** Where the loop reports retries; a pino logger fits. */
export interface RetryLogger {
  warn(fields: Record<string, unknown>, message: string): void;
}

/** Options of `retryPowerAction`. */
export interface RetryOptions {
  readonly policy?: RetryPolicy;
  readonly logger?: RetryLogger;
  /** Replaceable in tests to observe the waits without spending them. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Asked after each wait, before the next attempt: false cancels the action (POWER_CANCELLED). */
  readonly stillWanted?: () => Promise<boolean>;
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function withBackstop<T>(attempt: () => Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const backstop = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new PowerConnectionError(`${what} did not finish within ${timeoutMs / 1000} s`)), timeoutMs);
  });
  try {
    return await Promise.race([attempt(), backstop]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Run `attempt` until it succeeds, a non-retryable error occurs, or the policy's waits are
 * spent; the final error carries `attempts` in its details.
 * @throws PowerError (auth, connection, command) or the attempt's own non-power error.
 */
export async function retryPowerAction<T>(what: string, attempt: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const policy = options.policy ?? DEFAULT_RETRY_POLICY;
  const sleep = options.sleep ?? realSleep;
  for (let index = 0; ; index++) {
    try {
      return await withBackstop(attempt, policy.attemptTimeoutMs, what);
    } catch (error) {
      if (!(error instanceof PowerError)) throw error;
      const attempts = index + 1;
      const delay = policy.delaysMs[index];
      if (!error.retryable || delay === undefined) {
        const suffix = error.retryable ? ` (gave up after ${attempts} attempt${attempts === 1 ? "" : "s"})` : "";
        throw error.conclude(`${what} failed${suffix}`, attempts);
      }
      options.logger?.warn({ code: error.code, attempt: attempts, retryInMs: delay }, `${what}: ${error.message}; retrying`);
      await sleep(delay);
      if (options.stillWanted && !(await options.stillWanted())) {
        throw new OrchestraError("POWER_CANCELLED", `${what} cancelled after ${attempts} attempt${attempts === 1 ? "" : "s"}: no longer wanted`, { attempts });
      }
    }
  }
}

/** Options of `withRetries`. */
export interface WithRetriesOptions extends RetryOptions {
  /** The power types' schemas: targets are validated with them. */
  readonly powerTypes: PowerTypeRegistry;
  /**
   * After a power on or off the driver says is done, ask for the power state and retry the
   * action if the machine is not in it (MAAS's verify step). Default true.
   */
  readonly verify?: boolean;
}

/**
 * `driver` with every action validated against its power type's schema (bad settings fail
 * at once and change nothing) and run through the retry loop.
 */
export function withRetries(driver: PowerDriver, options: WithRetriesOptions): PowerDriver {
  // An unknown power type is refused here, when the driver is wrapped, not at its first action.
  options.powerTypes.get(driver.type);
  const run = async <T>(verb: string, target: PowerTarget, action: (clean: PowerTarget) => Promise<T>): Promise<T> => {
    const params = options.powerTypes.validateParams(driver.type, target.params);
    const clean: PowerTarget = { ...target, params };
    return retryPowerAction(`${driver.type} ${verb} of ${describeTarget(target)}`, () => action(clean), { ...options, ...(target.stillWanted ? { stillWanted: target.stillWanted } : {}) });
  };
  const verify = options.verify ?? true;
  /** `action`, then (when it claims done) a check that the machine reached `expected`. */
  const verified = (verb: string, expected: "on" | "off", action: (t: PowerTarget) => Promise<PowerActionResult>) => async (t: PowerTarget): Promise<PowerActionResult> => {
    const result = await action(t);
    if (!verify || result.outcome !== "done") return result;
    const state = await driver.queryPower(t);
    // A BMC that accepted the command but did not act is treated like one that did not answer.
    if (state !== "unknown" && state !== expected) throw new PowerConnectionError(`${verb} was accepted, but the machine reports ${state}`);
    return result;
  };
  return {
    type: driver.type,
    packages: driver.packages,
    powerOn: (target): Promise<PowerActionResult> => run("power on", target, verified("power on", "on", (t) => driver.powerOn(t))),
    powerOff: (target): Promise<PowerActionResult> => run("power off", target, verified("power off", "off", (t) => driver.powerOff(t))),
    powerCycle: (target): Promise<PowerActionResult> => run("power cycle", target, (t) => driver.powerCycle(t)),
    queryPower: (target): Promise<PowerState> => run("power query", target, (t) => driver.queryPower(t)),
    setBootDevice: (target, device: BootDevice): Promise<PowerActionResult> => {
      if (!BOOT_DEVICES.includes(device)) {
        return Promise.reject(new OrchestraError("INVALID_ARGUMENT", `boot device must be pxe or disk, not ${JSON.stringify(device)}`));
      }
      return run(`set boot device ${device}`, target, (t) => driver.setBootDevice(t, device));
    },
  };
}
