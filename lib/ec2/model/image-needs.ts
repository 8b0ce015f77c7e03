/**
 * @module ec2/model/image-needs
 * What an image asks of the machine it is given (disk and memory), as allocation
 * constraints and as words for the capacity error, shared by RunInstances and
 * `orchestra machines deploy` so both refuse the same too-small machines the same way.
 */
import type { Image } from "./image-catalogue.ts";

const GIB = 1024 ** 3;
const MIB = 1024 ** 2;

/** The image's needs as allocation minimums (whole GiB of disk, rounded up; MiB of memory). */
export function imageConstraints(image: Image): { minDiskGib?: number; minMemoryMib?: number } {
  return {
    ...(image.minDiskBytes ? { minDiskGib: Math.ceil(image.minDiskBytes / GIB) } : {}),
    ...(image.minMemoryMib ? { minMemoryMib: image.minMemoryMib } : {}),
  };
}

/** "image ami-... (name) needs a disk of at least 2 GiB (1266 MiB) and 1024 MiB of memory", or "" when it needs nothing. */
export function describeImageNeed(image: Image): string {
  const parts = [
    ...(image.minDiskBytes ? [`a disk of at least ${Math.ceil(image.minDiskBytes / GIB)} GiB (${Math.ceil(image.minDiskBytes / MIB)} MiB)`] : []),
    ...(image.minMemoryMib ? [`${image.minMemoryMib} MiB of memory`] : []),
  ];
  return parts.length ? `image ${image.imageId} (${image.name}) needs ${parts.join(" and ")}` : "";
}
