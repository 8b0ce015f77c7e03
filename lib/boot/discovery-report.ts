/**
 * @module boot/discovery-report
 * The hardware report the discovery ramdisk POSTs, checked strictly: every field typed and
 * bounded, no unknown fields, and the boot MAC among the reported interfaces. Anything else
 * is refused before the inventory is touched.
 */
import { OrchestraError } from "../errors.ts";
import { DISCOVERY_REPORT_VERSION } from "../images/discovery-init.ts";
import { parseMac } from "../inventory/mac-address.ts";
import { ARCHITECTURES } from "../inventory/machine-input.ts";

/** A validated discovery report. */
export interface DiscoveryReport {
  readonly version: number;
  readonly mode: "enlist" | "commissioning";
  readonly bootMac: string;
  readonly architecture: string;
  readonly firmware: "bios" | "uefi";
  readonly cpus: number;
  readonly cpuModel: string;
  readonly memoryMib: number;
  readonly interfaces: ReadonlyArray<{ readonly name: string; readonly mac: string }>;
  readonly disks: ReadonlyArray<{ readonly name: string; readonly sizeBytes: number; readonly model: string; readonly serial: string }>;
  readonly dmi: { readonly vendor: string; readonly product: string; readonly serial: string };
  /** The BMC's IPv4 address, as the BMC reports it in-band; empty when there is none. */
  readonly bmcAddress: string;
  /** The BMC's UDP port, when reported (else IPMI's 623 applies). */
  readonly bmcPort?: number;
  /** The BMC user the ramdisk set up and its password (a secret), when it could. */
  readonly bmcUsername?: string;
  readonly bmcPassword?: string;
  /** The commissioning token from the kernel command line (orchestra.token), when commissioning. */
  readonly token?: string;
}

const TOP_KEYS = ["version", "mode", "bootMac", "architecture", "firmware", "cpus", "cpuModel", "memoryMib", "interfaces", "disks", "dmi", "bmcAddress", "bmcPort", "bmcUsername", "bmcPassword", "token"];
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
const IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)$/;
// IPMI user names are at most 16 bytes; passwords at most 20 (IPMI 2.0).
const BMC_USERNAME = /^[A-Za-z0-9._-]{1,16}$/;
const BMC_PASSWORD = /^[\x21-\x7e]{1,20}$/;

function refuse(field: string, message: string): never {
  throw new OrchestraError("INVALID_ARGUMENT", `discovery report: ${field} ${message}`, { field });
}

function object(field: string, value: unknown, keys: readonly string[]): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) refuse(field, "must be an object");
  const extra = Object.keys(value).filter((key) => !keys.includes(key));
  if (extra.length) refuse(field, `has unknown field(s) ${extra.join(", ")}`);
  return value as Record<string, unknown>;
}

function integer(field: string, value: unknown, min: number, max: number): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < min || value > max) refuse(field, `must be a whole number from ${min} to ${max}`);
  return value;
}

function text(field: string, value: unknown, max = 256): string {
  if (value === undefined) return "";
  if (typeof value !== "string" || value.length > max || /[\u0000-\u001f\u007f]/.test(value)) refuse(field, `must be printable text of at most ${max} characters`);
  return value.trim();
}

function array(field: string, value: unknown, max: number): unknown[] {
  if (!Array.isArray(value)) refuse(field, "must be a list");
  if (value.length > max) refuse(field, `may hold at most ${max} entries`);
  return value;
}

function mac(field: string, value: unknown): string {
  try {
    return parseMac(value as string);
  } catch {
    return refuse(field, `is not a MAC address: ${JSON.stringify(value)}`);
  }
}

/** Validate a parsed JSON body as a discovery report. */
export function parseDiscoveryReport(body: unknown): DiscoveryReport {
  const top = object("report", body, TOP_KEYS);
  const version = integer("version", top.version, DISCOVERY_REPORT_VERSION, DISCOVERY_REPORT_VERSION);
  const mode = top.mode ?? "enlist";
  if (mode !== "enlist" && mode !== "commissioning") refuse("mode", "must be enlist or commissioning");
  const firmware = top.firmware ?? "bios";
  if (firmware !== "bios" && firmware !== "uefi") refuse("firmware", "must be bios or uefi");
  const architecture = text("architecture", top.architecture, 16) || "amd64";
  if (!(ARCHITECTURES as readonly string[]).includes(architecture)) refuse("architecture", `must be one of ${ARCHITECTURES.join(", ")}`);

  const seen = new Set<string>();
  const interfaces = array("interfaces", top.interfaces, 64).map((entry, i) => {
    const nic = object(`interfaces[${i}]`, entry, ["name", "mac"]);
    const name = text(`interfaces[${i}].name`, nic.name, 63);
    if (!NAME.test(name)) refuse(`interfaces[${i}].name`, "must be an interface name");
    const address = mac(`interfaces[${i}].mac`, nic.mac);
    if (seen.has(address)) refuse(`interfaces[${i}].mac`, `repeats ${address}`);
    seen.add(address);
    return { name, mac: address };
  });
  if (interfaces.length === 0) refuse("interfaces", "must name at least one interface");
  const bootMac = mac("bootMac", top.bootMac);
  if (!seen.has(bootMac)) refuse("bootMac", `${bootMac} is not among the reported interfaces`);

  const disks = array("disks", top.disks ?? [], 256).map((entry, i) => {
    const disk = object(`disks[${i}]`, entry, ["name", "sizeBytes", "model", "serial"]);
    const name = text(`disks[${i}].name`, disk.name, 63);
    if (!NAME.test(name)) refuse(`disks[${i}].name`, "must be a block device name");
    return { name, sizeBytes: integer(`disks[${i}].sizeBytes`, disk.sizeBytes, 1, Number.MAX_SAFE_INTEGER), model: text(`disks[${i}].model`, disk.model, 128), serial: text(`disks[${i}].serial`, disk.serial, 128) };
  });

  const dmi = object("dmi", top.dmi ?? {}, ["vendor", "product", "serial"]);
  const bmc = parseBmc(top);
  const token = top.token === undefined || top.token === "" ? undefined : top.token;
  if (token !== undefined && (typeof token !== "string" || !/^[A-Za-z0-9_-]{16,128}$/.test(token))) refuse("token", "must be the token from orchestra.token=, or absent");

  return {
    version,
    mode,
    bootMac,
    architecture,
    firmware,
    cpus: integer("cpus", top.cpus, 1, 65_536),
    cpuModel: text("cpuModel", top.cpuModel),
    memoryMib: integer("memoryMib", top.memoryMib, 1, 1 << 30),
    interfaces,
    disks,
    dmi: { vendor: text("dmi.vendor", dmi.vendor, 128), product: text("dmi.product", dmi.product, 128), serial: text("dmi.serial", dmi.serial, 128) },
    ...bmc,
    ...(token !== undefined ? { token } : {}),
  };
}

/** Why an IPv4 address cannot be a BMC's (this host, unspecified, broadcast, multicast, reserved), or undefined. */
export function specialAddress(address: string): string | undefined {
  const [a, b] = address.split(".").map(Number) as [number, number, number, number];
  if (a === 0) return "an unspecified (0.0.0.0/8) address";
  if (a === 127) return "a loopback address";
  if (address === "255.255.255.255") return "the broadcast address";
  if (a >= 224 && a <= 239) return "a multicast address";
  if (a >= 240) return "a reserved (240.0.0.0/4) address";
  if (a === 169 && b === 254) return "a link-local address";
  return undefined;
}

/** The BMC fields: an address (or none), and credentials only as a pair and only with an address. */
function parseBmc(top: Record<string, unknown>): Pick<DiscoveryReport, "bmcAddress" | "bmcPort" | "bmcUsername" | "bmcPassword"> {
  const bmcAddress = text("bmcAddress", top.bmcAddress, 15);
  if (bmcAddress && !IPV4.test(bmcAddress)) refuse("bmcAddress", "must be an IPv4 address, or empty");
  const special = bmcAddress ? specialAddress(bmcAddress) : undefined;
  if (special) refuse("bmcAddress", `is ${special}, which no BMC can be reached at; report the BMC's own unicast address, or none`);
  const bmcPort = top.bmcPort === undefined ? undefined : integer("bmcPort", top.bmcPort, 1, 65_535);
  const bmcUsername = text("bmcUsername", top.bmcUsername, 16);
  if (bmcUsername && !BMC_USERNAME.test(bmcUsername)) refuse("bmcUsername", "must be 1-16 letters, digits, dots, dashes or underscores, or empty");
  // Not trimmed and never quoted back: the password is a secret.
  const bmcPassword = top.bmcPassword ?? "";
  if (typeof bmcPassword !== "string" || (bmcPassword !== "" && !BMC_PASSWORD.test(bmcPassword))) refuse("bmcPassword", "must be 1-20 printable ASCII characters without spaces, or empty");
  if (Boolean(bmcUsername) !== Boolean(bmcPassword)) refuse(bmcUsername ? "bmcPassword" : "bmcUsername", "must be reported together with the other BMC credential");
  if (!bmcAddress && (bmcUsername || bmcPort !== undefined)) refuse("bmcAddress", "must be reported with the BMC's port or credentials");
  return {
    bmcAddress,
    ...(bmcPort !== undefined ? { bmcPort } : {}),
    ...(bmcUsername ? { bmcUsername, bmcPassword } : {}),
  };
}
