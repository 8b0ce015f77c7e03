/**
 * @module power/registry
 * The power drivers, keyed by power type, registered explicitly (no self-registration as a
 * side effect of import). A driver's type must be declared in power-types.ts, so the
 * settings schema and the driver cannot drift apart.
 */
import { OrchestraError } from "../errors.ts";
import { FakePowerDriver } from "./fake.ts";
import { IpmiPowerDriver } from "./ipmi.ts";
import { ManualPowerDriver } from "./manual.ts";
import type { PowerDriver } from "./power-driver.ts";
import { builtinPowerTypes, type PowerTypeRegistry } from "./power-types.ts";
import { QemuPowerDriver } from "./qemu.ts";
import { RedfishPowerDriver } from "./redfish.ts";
import { withRetries, type RetryLogger, type RetryPolicy } from "./retry.ts";
import { WolPowerDriver } from "./wol.ts";

/** How a registry's drivers retry and where they report retries. */
export interface PowerDriverRegistryOptions {
  readonly policy?: RetryPolicy;
  readonly logger?: RetryLogger;
  readonly sleep?: (ms: number) => Promise<void>;
}

/** Drivers by power type; `get` hands out the driver wrapped in validation and retries. */
export class PowerDriverRegistry {
  readonly powerTypes: PowerTypeRegistry;
  readonly #drivers = new Map<string, PowerDriver>();
  readonly #options: PowerDriverRegistryOptions;

  constructor(powerTypes: PowerTypeRegistry, options: PowerDriverRegistryOptions = {}) {
    this.powerTypes = powerTypes;
    this.#options = options;
  }

  /** Add a driver; its type must have a schema, and a type takes one driver. */
  register(driver: PowerDriver): this {
    this.powerTypes.get(driver.type);
    if (this.#drivers.has(driver.type)) throw new Error(`a power driver for ${driver.type} is registered already`);
    this.#drivers.set(driver.type, driver);
    return this;
  }

  /** The driver for `type`, validating and retrying; UNKNOWN_POWER_TYPE if none. */
  get(type: string): PowerDriver {
    const driver = this.#drivers.get(type);
    if (!driver) {
      throw new OrchestraError("UNKNOWN_POWER_TYPE", `no power driver for power type ${JSON.stringify(type)} (drivers: ${this.types().join(", ")})`, { powerType: type });
    }
    return withRetries(driver, { ...this.#options, powerTypes: this.powerTypes });
  }

  /** Every power type with a driver. */
  types(): string[] {
    return [...this.#drivers.keys()];
  }

  /** The Debian packages every registered driver needs. */
  packages(): string[] {
    return [...new Set([...this.#drivers.values()].flatMap((d) => d.packages))].sort();
  }
}

/**
 * A registry of every built-in driver, one per built-in power type. `fake` is among them
 * because the `fake` power type is (test only, labelled, never a default).
 */
export function builtinPowerDrivers(options: PowerDriverRegistryOptions = {}): PowerDriverRegistry {
  return new PowerDriverRegistry(builtinPowerTypes(), options)
    .register(new IpmiPowerDriver())
    .register(new WolPowerDriver())
    .register(new RedfishPowerDriver())
    .register(new QemuPowerDriver())
    .register(new ManualPowerDriver())
    .register(new FakePowerDriver());
}
