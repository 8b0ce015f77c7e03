/**
 * @module inventory/machine-view
 * The one way a machine leaves Orchestra (CLI output, API answers, logs): secrets redacted,
 * test-only power types labelled.
 */
import type { PowerTypeRegistry } from "../power/power-types.ts";
import { storageBytes, type Disk, type Machine, type NetworkInterface } from "./machine.ts";

/** A machine as shown to anyone: JSON-ready, with no secret in it. */
export interface MachineView {
  systemId: string;
  hostname: string;
  status: string;
  statusMessage: string;
  architecture: string;
  cpus: number;
  memoryMib: number;
  storageBytes: number;
  disks: Disk[];
  interfaces: NetworkInterface[];
  hardware: Record<string, string>;
  power: { type: string; params: Record<string, string>; testOnly: boolean };
  zone: string;
  tags: string[];
  statusChangedAt: string;
  createdAt: string;
  updatedAt: string;
}

/** The shareable view of `machine`. */
export function machineView(machine: Machine, powerTypes: PowerTypeRegistry): MachineView {
  let testOnly = false;
  try {
    testOnly = powerTypes.get(machine.power.type).testOnly === true;
  } catch {
    testOnly = false;
  }
  return {
    systemId: machine.systemId,
    hostname: machine.hostname,
    status: machine.status,
    statusMessage: machine.statusMessage,
    architecture: machine.architecture,
    cpus: machine.cpus,
    memoryMib: machine.memoryMib,
    storageBytes: storageBytes(machine.disks),
    disks: [...machine.disks],
    interfaces: [...machine.interfaces],
    hardware: { ...machine.hardware },
    // The store's redacted copy when there is one: the sealed settings stay unopened.
    power: { type: machine.power.type, params: machine.power.redactedParams ? { ...machine.power.redactedParams } : powerTypes.redactParams(machine.power.type, machine.power.params), testOnly },
    zone: machine.zone,
    tags: [...machine.tags],
    statusChangedAt: machine.statusChangedAt,
    createdAt: machine.createdAt,
    updatedAt: machine.updatedAt,
  };
}
