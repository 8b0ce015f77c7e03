/**
 * @module inventory/machine-input
 * Validation of a new machine's description, from the CLI, an API or discovery. It returns
 * a clean value or throws before anything is written.
 */
import { OrchestraError } from "../errors.ts";
import type { PowerTypeRegistry } from "../power/power-types.ts";
import { parseMac } from "./mac-address.ts";
import type { Disk, NetworkInterface } from "./machine.ts";

/** What a caller supplies to add a machine; everything but one MAC is optional. */
export interface NewMachineInput {
  hostname?: string;
  architecture?: string;
  cpus?: number;
  memoryMib?: number;
  disks?: ReadonlyArray<{ name?: string; sizeBytes: number; model?: string; serial?: string }>;
  interfaces: ReadonlyArray<{ mac: string; name?: string; boot?: boolean }>;
  hardware?: Readonly<Record<string, string>>;
  power?: { type: string; params?: Readonly<Record<string, string>> };
  zone?: string;
  tags?: readonly string[];
}

/** A new machine's description after validation. */
export interface ValidMachineInput {
  hostname: string | undefined;
  architecture: string;
  cpus: number;
  memoryMib: number;
  disks: Disk[];
  interfaces: NetworkInterface[];
  hardware: Record<string, string>;
  power: { type: string; params: Record<string, string> };
  zone: string;
  tags: string[];
}

/** Debian architecture names Orchestra can boot. */
export const ARCHITECTURES = ["amd64", "arm64", "i386", "ppc64el", "s390x", "riscv64"] as const;

/** The zone machines land in when none is given. */
export const DEFAULT_ZONE = "default";

const HOSTNAME = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;
const NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/i;
const MAX_INTERFACES = 64;
const MAX_DISKS = 256;
const MAX_TAGS = 64;

function invalid(message: string, details: Record<string, unknown> = {}): never {
  throw new OrchestraError("INVALID_ARGUMENT", message, details);
}

/** Check a whole number in [min, max], naming the field when it is not. */
export function checkInteger(field: string, value: unknown, min: number, max: number): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value)) invalid(`${field} must be a whole number, got ${JSON.stringify(value)}`, { field });
  if (value < min || value > max) invalid(`${field} must be between ${min} and ${max}, got ${value}`, { field });
  return value;
}

/** Check a hostname (RFC 1123, lower case). */
export function checkHostname(value: unknown): string {
  if (typeof value !== "string" || !HOSTNAME.test(value)) invalid(`invalid hostname ${JSON.stringify(value)}: use lower-case letters, digits and hyphens, dot-separated labels of at most 63 characters`, { field: "hostname" });
  return value;
}

/** Check a zone or tag name. */
export function checkName(field: string, value: unknown): string {
  if (typeof value !== "string" || !NAME.test(value)) invalid(`invalid ${field} ${JSON.stringify(value)}: use letters, digits, '.', '_' and '-', at most 63 characters, starting with a letter or digit`, { field });
  return value;
}

/** Check an architecture name. */
export function checkArchitecture(value: unknown): string {
  if (typeof value !== "string" || !(ARCHITECTURES as readonly string[]).includes(value)) invalid(`unknown architecture ${JSON.stringify(value)} (known: ${ARCHITECTURES.join(", ")})`, { field: "architecture" });
  return value;
}

function checkText(field: string, value: unknown, max: number): string {
  if (value === undefined) return "";
  if (typeof value !== "string" || value.length > max || /[\u0000-\u001f\u007f]/.test(value)) invalid(`${field} must be printable text of at most ${max} characters`, { field });
  return value;
}

/** Validate a new machine's description against the power type registry. */
export function validateMachineInput(input: NewMachineInput, powerTypes: PowerTypeRegistry): ValidMachineInput {
  if (typeof input !== "object" || input === null) invalid("a machine description must be an object");
  const interfaces = input.interfaces ?? [];
  if (!Array.isArray(interfaces) || interfaces.length === 0) {
    throw new OrchestraError("MISSING_ARGUMENT", "a machine needs at least one MAC address (--mac)", { field: "interfaces" });
  }
  if (interfaces.length > MAX_INTERFACES) invalid(`a machine can have at most ${MAX_INTERFACES} interfaces`);
  const seen = new Set<string>();
  const bootCount = interfaces.filter((i) => i.boot === true).length;
  if (bootCount > 1) invalid("at most one interface can be the boot interface");
  const cleanInterfaces = interfaces.map((nic, index): NetworkInterface => {
    const mac = parseMac(nic.mac);
    if (seen.has(mac)) throw new OrchestraError("DUPLICATE_MAC", `MAC ${mac} is given twice`, { mac });
    seen.add(mac);
    const name = nic.name === undefined ? `eth${index}` : checkName("interface name", nic.name);
    // With no boot interface named, the first one boots: that is the one PXE will see first.
    const boot = bootCount === 0 ? index === 0 : nic.boot === true;
    return { mac, name, boot };
  });

  const disks = input.disks ?? [];
  if (!Array.isArray(disks) || disks.length > MAX_DISKS) invalid(`a machine can have at most ${MAX_DISKS} disks`);
  const cleanDisks = disks.map((disk, index): Disk => ({
    name: disk.name === undefined ? `disk${index}` : checkName("disk name", disk.name),
    sizeBytes: checkInteger("disk size (bytes)", disk.sizeBytes, 1, Number.MAX_SAFE_INTEGER),
    model: checkText("disk model", disk.model, 128),
    serial: checkText("disk serial", disk.serial, 128),
  }));

  const tags = input.tags ?? [];
  if (!Array.isArray(tags) || tags.length > MAX_TAGS) invalid(`a machine can have at most ${MAX_TAGS} tags`);
  const cleanTags = [...new Set(tags.map((tag) => checkName("tag", tag)))];

  const hardware: Record<string, string> = {};
  for (const [key, value] of Object.entries(input.hardware ?? {})) {
    checkName("hardware key", key);
    hardware[key] = checkText(`hardware ${key}`, value, 256);
  }

  if (input.power === undefined || input.power.type === undefined) {
    // No default power type: guessing one would hide a machine nobody can switch on.
    throw new OrchestraError("MISSING_ARGUMENT", `a machine needs a power type (--power-type; known: ${powerTypes.names().join(", ")})`, { field: "power" });
  }
  const powerType = powerTypes.get(input.power.type).name;
  const powerParams = powerTypes.validateParams(powerType, input.power.params ?? {});

  return {
    hostname: input.hostname === undefined ? undefined : checkHostname(input.hostname),
    architecture: input.architecture === undefined ? "amd64" : checkArchitecture(input.architecture),
    cpus: input.cpus === undefined ? 0 : checkInteger("cpus", input.cpus, 0, 65_536),
    memoryMib: input.memoryMib === undefined ? 0 : checkInteger("memory (MiB)", input.memoryMib, 0, 1 << 30),
    disks: cleanDisks,
    interfaces: cleanInterfaces,
    hardware,
    power: { type: powerType, params: powerParams },
    zone: input.zone === undefined ? DEFAULT_ZONE : checkName("zone", input.zone),
    tags: cleanTags,
  };
}
