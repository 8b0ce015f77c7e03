/**
 * @module power/redfish
 * DMTF Redfish over HTTP(S) with undici: ComputerSystem.Reset for power, the system's
 * PowerState for queries, and a one-time boot source override (PATCH Boot) for the boot
 * device. URLs are followed from the service's own links rather than assumed.
 */
// undici is loaded on the first Redfish call, not with the module: `orchestra serve` loads every
// power driver at start, and undici is about 5 MiB of its heap that a site without Redfish
// BMCs never needs (tests/bench/boot-http.ts measures serve's memory).
import type { Agent, Dispatcher } from "undici";
import { PowerAuthError, PowerConnectionError, PowerFatalError } from "./power-errors.ts";
import { describeTarget, done, type BootDevice, type PowerActionResult, type PowerDriver, type PowerState, type PowerTarget } from "./power-driver.ts";
import { REDFISH_POWER_TYPE } from "./power-types.ts";

/** The Redfish values for our boot devices. */
const BOOT_TARGET: Record<BootDevice, string> = { pxe: "Pxe", disk: "Hdd" };

/** A system resource, as far as this driver reads it. */
interface ComputerSystem {
  "@odata.id"?: string;
  PowerState?: string;
  Actions?: Record<string, { target?: string; "ResetType@Redfish.AllowableValues"?: string[] }>;
}

/** The `redfish` power driver. */
export class RedfishPowerDriver implements PowerDriver {
  readonly type = REDFISH_POWER_TYPE.name;
  readonly packages: readonly string[] = [];
  readonly #timeoutMs: number;
  /** The dispatcher for BMCs whose certificate is not checked (tls_verify=no), made on first use. */
  #insecure: Agent | undefined;

  constructor(options: { requestTimeoutMs?: number } = {}) {
    this.#timeoutMs = options.requestTimeoutMs ?? 15_000;
  }

  async powerOn(target: PowerTarget): Promise<PowerActionResult> {
    await this.#reset(target, ["On"]);
    return done(`powered on ${describeTarget(target)} through Redfish`);
  }

  async powerOff(target: PowerTarget): Promise<PowerActionResult> {
    await this.#reset(target, ["ForceOff"]);
    return done(`powered off ${describeTarget(target)} through Redfish`);
  }

  async powerCycle(target: PowerTarget): Promise<PowerActionResult> {
    if ((await this.queryPower(target)) === "off") return this.powerOn(target);
    await this.#reset(target, ["PowerCycle", "ForceRestart"]);
    return done(`power-cycled ${describeTarget(target)} through Redfish`);
  }

  async queryPower(target: PowerTarget): Promise<PowerState> {
    const { system } = await this.#system(target);
    // A machine still powering off is on; one still powering on is not on yet.
    if (system.PowerState === "On" || system.PowerState === "PoweringOff") return "on";
    if (system.PowerState === "Off" || system.PowerState === "PoweringOn") return "off";
    return "unknown";
  }

  async setBootDevice(target: PowerTarget, device: BootDevice): Promise<PowerActionResult> {
    const { url } = await this.#system(target);
    await this.#call(target, "PATCH", url, { Boot: { BootSourceOverrideTarget: BOOT_TARGET[device], BootSourceOverrideEnabled: "Once" } });
    return done(`${describeTarget(target)} boots from ${device} next`);
  }

  /** POST ComputerSystem.Reset with the first of `types` the system allows. */
  async #reset(target: PowerTarget, types: readonly string[]): Promise<void> {
    const { url, system } = await this.#system(target);
    const action = system.Actions?.["#ComputerSystem.Reset"];
    const allowed = action?.["ResetType@Redfish.AllowableValues"];
    const resetType = allowed ? types.find((t) => allowed.includes(t)) : types[0];
    if (!resetType) throw new PowerFatalError(`${url} allows none of ResetType ${types.join(", ")} (it allows ${allowed?.join(", ")})`);
    await this.#call(target, "POST", action?.target ?? `${url}/Actions/ComputerSystem.Reset`, { ResetType: resetType });
  }

  /** The system's URL and resource: the named one, or the only one in the collection. */
  async #system(target: PowerTarget): Promise<{ url: string; system: ComputerSystem }> {
    const id = target.params.system;
    let url: string;
    if (id) {
      url = `/redfish/v1/Systems/${encodeURIComponent(id)}`;
    } else {
      const collection = (await this.#call(target, "GET", "/redfish/v1/Systems")) as { Members?: { "@odata.id"?: string }[] };
      const members = collection.Members ?? [];
      if (members.length !== 1 || !members[0]?.["@odata.id"]) {
        throw new PowerFatalError(`the BMC has ${members.length} systems: set power parameter system to one of ${members.map((m) => m["@odata.id"]).join(", ")}`, {}, { code: "INVALID_POWER_PARAMETER" });
      }
      url = members[0]["@odata.id"];
    }
    return { url, system: (await this.#call(target, "GET", url)) as ComputerSystem };
  }

  /** One HTTP call; maps transport failures and statuses to typed errors. */
  async #call(target: PowerTarget, method: "GET" | "POST" | "PATCH", path: string, body?: unknown): Promise<unknown> {
    const { address, username = "", password = "", tls_verify: tlsVerify } = target.params;
    if (!address) throw new PowerFatalError(`redfish power of ${describeTarget(target)} has no BMC address`, {}, { code: "INVALID_POWER_PARAMETER" });
    const url = new URL(path, address);
    const where = `${method} ${url.href}`;
    const options: { method: typeof method; headers: Record<string, string>; body?: string; signal: AbortSignal; headersTimeout: number; bodyTimeout: number; dispatcher?: Dispatcher } = {
      method,
      headers: { authorization: `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}`, accept: "application/json" },
      signal: AbortSignal.timeout(this.#timeoutMs),
      headersTimeout: this.#timeoutMs,
      bodyTimeout: this.#timeoutMs,
    };
    if (body !== undefined) {
      options.body = JSON.stringify(body);
      options.headers["content-type"] = "application/json";
    }
    const undici = await import("undici");
    if (tlsVerify === "no") options.dispatcher = this.#insecure ??= new undici.Agent({ connect: { rejectUnauthorized: false } });
    let response: Dispatcher.ResponseData;
    try {
      response = await undici.request(url, options);
    } catch (error) {
      throw new PowerConnectionError(`${where}: no answer (${(error as Error).message})`, { url: url.href }, { cause: error });
    }
    const text = await response.body.text().catch(() => "");
    const status = response.statusCode;
    if (status === 401 || status === 403) throw new PowerAuthError(`${where}: the BMC refused user ${JSON.stringify(username)} (HTTP ${status}): wrong user name or password`, { url: url.href });
    // 503 and 429 are a busy BMC: worth asking again.
    if (status >= 500 || status === 429) throw new PowerConnectionError(`${where}: HTTP ${status} ${redfishMessage(text)}`.trim(), { url: url.href, status });
    if (status >= 400) throw new PowerFatalError(`${where}: HTTP ${status} ${redfishMessage(text)}`.trim(), { url: url.href, status });
    if (text.length === 0) return {};
    try {
      return JSON.parse(text);
    } catch {
      throw new PowerFatalError(`${where}: the answer is not JSON`, { url: url.href });
    }
  }
}

/** The human message of a Redfish error body, if there is one. */
function redfishMessage(text: string): string {
  try {
    const error = (JSON.parse(text) as { error?: { message?: string; "@Message.ExtendedInfo"?: { Message?: string }[] } }).error;
    return error?.["@Message.ExtendedInfo"]?.[0]?.Message ?? error?.message ?? "";
  } catch {
    return "";
  }
}
