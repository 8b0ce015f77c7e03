/**
 * @module power/power-types
 * What each power type needs to know about a machine's BMC, declared as a schema: the
 * inventory validates power parameters against it and redacts the secret ones everywhere.
 * The drivers that act on these settings (one file each beside this one) name their power
 * type from here: this file is the one source of truth for settings.
 */
import { OrchestraError } from "../errors.ts";

/** One setting of a power type. */
export interface PowerSetting {
  readonly name: string;
  readonly description: string;
  readonly required: boolean;
  /** Secret settings are stored but never printed, logged or returned by an API. */
  readonly secret?: boolean;
  /** What a valid value looks like, and how to say so when it does not. */
  readonly pattern?: RegExp;
  readonly patternHint?: string;
}

/** A power type: its name, what it is for, and its settings. */
export interface PowerType {
  readonly name: string;
  readonly description: string;
  readonly settings: readonly PowerSetting[];
  /**
   * Test-only power types (only `fake`) complete every in-progress step at once (unless
   * the Inventory is made with `fakeCompletesAtOnce: false`, as the deployment benchmark
   * does): they exist for API tests and benchmarks, are never a default, and are labelled
   * wherever shown.
   */
  readonly testOnly?: boolean;
}

/** The text that stands in for a secret value in every output. */
export const REDACTED = "********";

const HOST = /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*|\d{1,3}(?:\.\d{1,3}){3}|\[[0-9a-f:]+\])$/i;
const PORT = /^(?:[1-9]\d{0,3}|[1-5]\d{4}|6[0-4]\d{3}|65[0-4]\d{2}|655[0-2]\d|6553[0-5])$/;
const MAC = /^[0-9a-f]{2}(?::[0-9a-f]{2}){5}$/i;
const URL_HTTP = /^https?:\/\/[^\s/]+(?:\/\S*)?$/i;

/** The `ipmi` power type. */
export const IPMI_POWER_TYPE: PowerType = {
  name: "ipmi",
  description: "IPMI 2.0 BMC over the network (ipmitool -I lanplus)",
  settings: [
    { name: "address", description: "BMC host name or IP address", required: true, pattern: HOST, patternHint: "a host name or IP address" },
    { name: "port", description: "BMC UDP port (default 623)", required: false, pattern: PORT, patternHint: "a port number 1-65535" },
    { name: "username", description: "BMC user", required: false },
    { name: "password", description: "BMC password", required: false, secret: true },
  ],
};

/** The `wol` power type. */
export const WOL_POWER_TYPE: PowerType = {
  name: "wol",
  description: "Wake-on-LAN magic packet (power on only; the operator powers off)",
  settings: [
    { name: "mac", description: "MAC address to wake (default: the boot interface)", required: false, pattern: MAC, patternHint: "a MAC address such as 52:54:00:12:34:56" },
    { name: "broadcast", description: "broadcast address to send to (default 255.255.255.255); the provisioning subnet's own broadcast address sends it out of that interface", required: false, pattern: /^\d{1,3}(?:\.\d{1,3}){3}$/, patternHint: "an IPv4 address" },
    { name: "port", description: "UDP port of the magic packet (default 9, discard)", required: false, pattern: PORT, patternHint: "a port number 1-65535" },
  ],
};

/** The `redfish` power type. */
export const REDFISH_POWER_TYPE: PowerType = {
  name: "redfish",
  description: "DMTF Redfish BMC over HTTPS",
  settings: [
    { name: "address", description: "BMC base URL, e.g. https://10.0.0.5", required: true, pattern: URL_HTTP, patternHint: "an http(s):// URL" },
    { name: "username", description: "BMC user", required: true },
    { name: "password", description: "BMC password", required: true, secret: true },
    { name: "system", description: "ComputerSystem id (default: the only one)", required: false, pattern: /^[A-Za-z0-9._-]{1,64}$/, patternHint: "a ComputerSystem id such as 1 or System.Embedded.1" },
    // BMCs ship self-signed certificates; turning verification off is the operator's explicit choice.
    { name: "tls_verify", description: "verify the BMC's TLS certificate: yes (default) or no", required: false, pattern: /^(?:yes|no)$/, patternHint: "yes or no" },
  ],
};

/** The `qemu` power type. */
export const QEMU_POWER_TYPE: PowerType = {
  name: "qemu",
  description: "a virtual machine of Orchestra's lab, through its QMP socket",
  settings: [{ name: "qmp_socket", description: "path of the VM's QMP unix socket", required: true, pattern: /^\/\S+$/, patternHint: "an absolute path" }],
};

/** The `manual` power type. */
export const MANUAL_POWER_TYPE: PowerType = {
  name: "manual",
  description: "no BMC: the operator is asked to press the button",
  settings: [],
};

/** The `fake` power type. */
export const FAKE_POWER_TYPE: PowerType = {
  name: "fake",
  description: "TEST ONLY: no hardware; every step completes at once (API tests and benchmarks)",
  settings: [],
  testOnly: true,
};

/** The power types Orchestra knows, keyed by name. Registering a name twice is refused. */
export class PowerTypeRegistry {
  readonly #types = new Map<string, PowerType>();

  /** Add a power type; a name can be registered once. */
  register(type: PowerType): this {
    if (this.#types.has(type.name)) throw new Error(`power type ${type.name} is registered already`);
    this.#types.set(type.name, type);
    return this;
  }

  /** The power type named `name`, or UNKNOWN_POWER_TYPE. */
  get(name: string): PowerType {
    const type = this.#types.get(name);
    if (!type) {
      throw new OrchestraError("UNKNOWN_POWER_TYPE", `unknown power type ${JSON.stringify(name)} (known: ${this.names().join(", ")})`, { powerType: name });
    }
    return type;
  }

  /** Every registered name. */
  names(): string[] {
    return [...this.#types.keys()];
  }

  /** Check `params` against the type's schema; returns a clean copy or throws INVALID_POWER_PARAMETER. */
  validateParams(typeName: string, params: Readonly<Record<string, string>>): Record<string, string> {
    const type = this.get(typeName);
    const clean: Record<string, string> = {};
    for (const [key, value] of Object.entries(params)) {
      const setting = type.settings.find((s) => s.name === key);
      if (!setting) {
        const known = type.settings.map((s) => s.name);
        throw new OrchestraError("INVALID_POWER_PARAMETER", `power type ${type.name} has no parameter ${JSON.stringify(key)} (it takes: ${known.length ? known.join(", ") : "none"})`, { powerType: type.name, parameter: key });
      }
      if (typeof value !== "string" || value.length === 0 || value.length > 1024) {
        throw new OrchestraError("INVALID_POWER_PARAMETER", `power parameter ${key} must be a non-empty string of at most 1024 characters`, { parameter: key });
      }
      if (setting.pattern && !setting.pattern.test(value)) {
        const shown = setting.secret ? REDACTED : JSON.stringify(value);
        throw new OrchestraError("INVALID_POWER_PARAMETER", `power parameter ${key}=${shown} is not ${setting.patternHint ?? "valid"}`, { parameter: key });
      }
      clean[key] = value;
    }
    for (const setting of type.settings) {
      if (setting.required && !(setting.name in clean)) {
        throw new OrchestraError("INVALID_POWER_PARAMETER", `power type ${type.name} needs --power-param ${setting.name}=... (${setting.description})`, { powerType: type.name, parameter: setting.name });
      }
    }
    return clean;
  }

  /** A copy of `params` with every secret value replaced by REDACTED. */
  redactParams(typeName: string, params: Readonly<Record<string, string>>): Record<string, string> {
    const type = this.#types.get(typeName);
    const redacted: Record<string, string> = {};
    for (const [key, value] of Object.entries(params)) {
      // An unknown type or setting is treated as secret: redaction fails closed.
      const setting = type?.settings.find((s) => s.name === key);
      redacted[key] = setting && !setting.secret ? value : REDACTED;
    }
    return redacted;
  }
}

/** The registry of every built-in power type, registered explicitly. */
export function builtinPowerTypes(): PowerTypeRegistry {
  return new PowerTypeRegistry()
    .register(IPMI_POWER_TYPE)
    .register(WOL_POWER_TYPE)
    .register(REDFISH_POWER_TYPE)
    .register(QEMU_POWER_TYPE)
    .register(MANUAL_POWER_TYPE)
    .register(FAKE_POWER_TYPE);
}
