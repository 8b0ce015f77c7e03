/**
 * @module inventory/machine
 * What the inventory knows about a physical machine.
 */
import type { MachineStatus } from "./lifecycle.ts";

/** A block device. */
export interface Disk {
  readonly name: string;
  readonly sizeBytes: number;
  readonly model: string;
  readonly serial: string;
}

/** A network interface; at most one per machine is the boot interface. */
export interface NetworkInterface {
  readonly mac: string;
  readonly name: string;
  readonly boot: boolean;
}

/** How the machine's power is controlled. Parameters may hold secrets: never print them raw. */
export interface PowerSettings {
  readonly type: string;
  readonly params: Readonly<Record<string, string>>;
  /**
   * The parameters with every secret replaced by REDACTED, as the store keeps them beside
   * the sealed ones: a view reads these and leaves `params` (and the seal) unopened.
   * Absent on settings not read from the store.
   */
  readonly redactedParams?: Readonly<Record<string, string>>;
}

/** A physical machine in the inventory. */
export interface Machine {
  readonly systemId: string;
  readonly hostname: string;
  readonly architecture: string;
  readonly cpus: number;
  readonly memoryMib: number;
  readonly disks: readonly Disk[];
  readonly interfaces: readonly NetworkInterface[];
  /** Free-form facts discovery reported (CPU model, DMI vendor/product/serial, BMC address...). */
  readonly hardware: Readonly<Record<string, string>>;
  readonly power: PowerSettings;
  readonly zone: string;
  readonly tags: readonly string[];
  readonly status: MachineStatus;
  readonly statusMessage: string;
  readonly statusChangedAt: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** What a boot script needs of the machine that asks for it: no interfaces, hardware, disks, tags or power settings. */
export type MachineBootView = Pick<Machine, "systemId" | "architecture" | "status" | "statusChangedAt">;

/** One entry of a machine's event log: every transition leaves one. */
export interface MachineEvent {
  readonly seq: number;
  readonly at: string;
  readonly from: MachineStatus | null;
  readonly to: MachineStatus;
  readonly reason: string;
}

/** The MAC of a machine's boot interface (its first interface when none is marked), or undefined without interfaces. */
export function bootMacOf(machine: Pick<Machine, "interfaces">): string | undefined {
  return (machine.interfaces.find((nic) => nic.boot) ?? machine.interfaces[0])?.mac;
}

/** Total disk capacity of a machine, in bytes. */
export function storageBytes(disks: readonly Disk[]): number {
  return disks.reduce((sum, disk) => sum + disk.sizeBytes, 0);
}

/** MAAS's allocation cost: cheaper machines are handed out first, keeping big ones free. */
export function allocationCost(machine: Pick<Machine, "cpus" | "memoryMib">): number {
  return machine.cpus + machine.memoryMib / 1024;
}
