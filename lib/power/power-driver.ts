/**
 * @module power/power-driver
 * The one interface every power driver implements. A driver does one attempt of one action,
 * bounded by its own timeouts, and throws a PowerError subclass; retrying is not its job
 * (see retry.ts).
 */

/** What a power query can tell. `unknown` is an honest answer for drivers without feedback. */
export type PowerState = "on" | "off" | "unknown";

/** Where the machine boots next. */
export type BootDevice = "pxe" | "disk";

/** The boot devices a driver accepts. */
export const BOOT_DEVICES: readonly BootDevice[] = ["pxe", "disk"];

/** The machine a power action is for. `params` are validated against the power type's schema. */
export interface PowerTarget {
  /** The machine's system id (named in messages and logs). */
  readonly systemId: string;
  readonly hostname?: string;
  /** The power parameters; may hold secrets, so never print them raw. */
  readonly params: Readonly<Record<string, string>>;
  /** The boot interface's MAC, for drivers that address the machine by it (Wake-on-LAN). */
  readonly bootMac?: string;
  /**
   * Asked before every retry: false when the action is no longer wanted (the machine left
   * the state the action was for, or was deleted), which ends the retries with POWER_CANCELLED.
   */
  readonly stillWanted?: () => Promise<boolean>;
}

/**
 * What an action achieved. `operator-action-required` means a person must act (the manual
 * driver, or Wake-on-LAN asked to power off); `not-supported` means the driver has no means
 * to do it and nothing was changed.
 */
export interface PowerActionResult {
  readonly outcome: "done" | "operator-action-required" | "not-supported";
  readonly message: string;
}

/** A power driver: one per power type, one file each. */
export interface PowerDriver {
  /** The power type it drives (a name registered in power-types.ts). */
  readonly type: string;
  /** Debian packages the driver's tools come from, for the charm and CI to install. */
  readonly packages: readonly string[];
  powerOn(target: PowerTarget): Promise<PowerActionResult>;
  powerOff(target: PowerTarget): Promise<PowerActionResult>;
  /** Off then on (or the BMC's own cycle); a machine that is off is simply powered on. */
  powerCycle(target: PowerTarget): Promise<PowerActionResult>;
  queryPower(target: PowerTarget): Promise<PowerState>;
  /** The device the next boot uses. */
  setBootDevice(target: PowerTarget, device: BootDevice): Promise<PowerActionResult>;
}

/** The `done` result with a message. */
export function done(message: string): PowerActionResult {
  return { outcome: "done", message };
}

/** How a machine is named in messages. */
export function describeTarget(target: PowerTarget): string {
  return target.hostname ? `${target.hostname} (${target.systemId})` : target.systemId;
}
