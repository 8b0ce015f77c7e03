/**
 * @module boot/boot-branch
 * Which boot script a machine gets, from its state at the moment it asks (DESIGN.md, "The
 * boot path", step 2). A table of states, not a chain of ifs.
 */
import type { DeploymentPhase } from "../deploy/deployment-schema.ts";
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

/** The machine's current deployment, when it is deploying: its token and how far it got. */
export interface BootDeployment {
  readonly token: string;
  readonly phase: DeploymentPhase;
}

/** The machine's current erasure, when its disks are being erased. */
export interface BootErasure {
  readonly token: string;
  readonly mode: string;
  readonly phase: string;
}

/** The machine's commissioning token, when it is being commissioned. */
export interface BootCommissioning {
  readonly token: string;
}

/**
 * Choose the branch for a machine (undefined: a MAC nobody knows). A deploying machine
 * whose image is on its disk already boots from that disk: the reboot after the write
 * comes back here, and must not write the image again.
 */
export function chooseBootBranch(machine: BootMachine | undefined, images: BootImages, deployment?: BootDeployment, erasure?: BootErasure, commissioning?: BootCommissioning): BootBranch {
  if (machine === undefined) {
    return images.discovery ? { kind: "discovery", image: images.discovery } : { kind: "unavailable", reason: "no discovery image is registered (orchestra images build-discovery)" };
  }
  const { systemId, status } = machine;
  switch (status) {
    case "commissioning": {
      // The discovery ramdisk doubles as the commissioning ramdisk until a dedicated one exists.
      const image = images.commissioning ?? images.discovery;
      if (!commissioning) return { kind: "unavailable", reason: `no commissioning token is issued for ${systemId}` };
      return image ? { kind: "commissioning", image, systemId, token: commissioning.token } : { kind: "unavailable", reason: "no commissioning or discovery image is registered" };
    }
    case "deploying": {
      if (!deployment) return { kind: "unavailable", reason: `no deployment is planned for ${systemId}` };
      if (deployment.phase === "written" || deployment.phase === "booted") return { kind: "local-disk", systemId };
      if (deployment.phase === "failed") return { kind: "power-off", reason: `the deployment of ${systemId} failed` };
      // The discovery ramdisk carries the deploy program until a dedicated deploy image exists.
      const image = images.deploy ?? images.discovery;
      return image ? { kind: "deploy", image, systemId, token: deployment.token } : { kind: "unavailable", reason: "no deploy or discovery image is registered" };
    }
    case "disk_erasing": {
      if (!erasure || erasure.phase !== "planned") return { kind: "power-off", reason: `machine ${systemId} is disk_erasing, but no erasure is pending` };
      const image = images.deploy ?? images.discovery;
      return image ? { kind: "erase", image, systemId, token: erasure.token, mode: erasure.mode } : { kind: "unavailable", reason: "no deploy or discovery image is registered" };
    }
    case "deployed":
      return { kind: "local-disk", systemId };
    default:
      return { kind: "power-off", reason: `machine ${systemId} is ${status}, nothing to boot` };
  }
}
