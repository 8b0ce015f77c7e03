/**
 * @module images/image-needs
 * What an image asks of the machine it is given (disk and memory), as allocation
 * constraints and as words for the capacity error, shared by RunInstances,
 * MAAS's deploy and `orchestra machines deploy`, so all refuse the same too-small machines.
 */
import { storageBytes, type Machine } from "../inventory/machine.ts";

/** What an image needs, as the EC2 and MAAS views of an image both carry it (from its record in the store). */
export interface ImageNeed {
  /** The disk it fills once written, in bytes. */
  readonly minDiskBytes?: number | undefined;
  /** The least memory it deploys and runs in, in MiB. */
  readonly minMemoryMib?: number | undefined;
}

const GIB = 1024 ** 3;
const MIB = 1024 ** 2;

/** The image's needs as allocation minimums (whole GiB of disk, rounded up; MiB of memory). */
export function imageConstraints(image: ImageNeed): { minDiskGib?: number; minMemoryMib?: number } {
  return {
    ...(image.minDiskBytes ? { minDiskGib: Math.ceil(image.minDiskBytes / GIB) } : {}),
    ...(image.minMemoryMib ? { minMemoryMib: image.minMemoryMib } : {}),
  };
}

/** "image ami-... (name) needs a disk of at least 2 GiB (1266 MiB) and 1024 MiB of memory", or "" when it needs nothing. */
export function describeImageNeed(image: ImageNeed & { readonly imageId: string; readonly name: string }): string {
  const parts = [
    ...(image.minDiskBytes ? [`a disk of at least ${Math.ceil(image.minDiskBytes / GIB)} GiB (${Math.ceil(image.minDiskBytes / MIB)} MiB)`] : []),
    ...(image.minMemoryMib ? [`${image.minMemoryMib} MiB of memory`] : []),
  ];
  return parts.length ? `image ${image.imageId} (${image.name}) needs ${parts.join(" and ")}` : "";
}

/** Whether `machine` meets the image's needs, by the same rounding allocation uses. */
export function machineMeetsImage(machine: Pick<Machine, "memoryMib" | "disks">, image: ImageNeed): boolean {
  const need = imageConstraints(image);
  return machine.memoryMib >= (need.minMemoryMib ?? 0) && storageBytes(machine.disks) >= (need.minDiskGib ?? 0) * GIB;
}
