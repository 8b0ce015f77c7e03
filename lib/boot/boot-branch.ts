/**
 * @module boot/boot-branch
 * Which boot script a machine gets, from its state at the moment it asks (DESIGN.md, "The
 * boot path", step 2). A table of states, not a chain of ifs.
 */
import type { BootBranch, BootImageRef } from "./ipxe-scripts.ts";

/** What the boot service knows about a MAC's machine, if any. */
export interface BootMachine {
  readonly systemId: string;
  readonly status: string;
}

/** The images each branch may use; missing ones make that branch wait rather than fail. */
export interface BootImages {
  readonly discovery?: BootImageRef;
  readonly commissioning?: BootImageRef;
  readonly deploy?: BootImageRef;
}

/** Choose the branch for a machine (undefined: a MAC nobody knows). */
export function chooseBootBranch(machine: BootMachine | undefined, images: BootImages, deployToken?: (systemId: string) => string): BootBranch {
  if (machine === undefined) {
    return images.discovery ? { kind: "discovery", image: images.discovery } : { kind: "unavailable", reason: "no discovery image is registered (orchestra images build-discovery)" };
  }
  const { systemId, status } = machine;
  switch (status) {
    case "commissioning": {
      // The discovery ramdisk doubles as the commissioning ramdisk until a dedicated one exists.
      const image = images.commissioning ?? images.discovery;
      return image ? { kind: "commissioning", image, systemId } : { kind: "unavailable", reason: "no commissioning or discovery image is registered" };
    }
    case "deploying":
      if (!images.deploy) return { kind: "unavailable", reason: "no deploy image is registered" };
      if (!deployToken) return { kind: "unavailable", reason: "deployment tokens are not available on this server" };
      return { kind: "deploy", image: images.deploy, systemId, token: deployToken(systemId) };
    case "deployed":
      return { kind: "local-disk", systemId };
    default:
      return { kind: "power-off", reason: `machine ${systemId} is ${status}, nothing to boot` };
  }
}
