/**
 * @module deploy/deploy-allocated-machine
 * The one way an allocated machine starts deploying, whichever door asked (EC2's
 * RunInstances, MAAS's deploy, `orchestra machines deploy`): in the caller's transaction the
 * machine moves to `deploying` (the lifecycle engine then network-boots it into the deploy
 * ramdisk), the deployment row ties it to the image, and the metadata service's record holds
 * what cloud-init on the node will read (user data, SSH keys, vendor data). A test-only
 * (fake) machine is deployed at once by its transition and gets no deployment row. A door
 * that allocates and deploys in one transaction (RunInstances) moves the machine with its
 * allocation (Inventory.allocateManyWithin's `then`) and records the rest with
 * recordDeploymentWithin, so the machine's row is written once.
 */
import { isIPv4 } from "node:net";
import type { Inventory } from "../inventory/inventory.ts";
import { bootMacOf, type Machine } from "../inventory/machine.ts";
import type { PublicKey } from "../metadata/metadata-source.ts";
import { newNocloudSecret } from "../metadata/nocloud-secret.ts";
import { StoreMetadataSource } from "../metadata/store-metadata-source.ts";
import type { SqlDatabase, SqlExecutor } from "../store/sql-database.ts";
import { beginDeploymentWithin } from "./begin-deployment.ts";
import type { ConsoleLogSource } from "./console-log.ts";

/** What to deploy onto an allocated machine. */
export interface AllocatedDeployment extends DeploymentRecord {
  /** The allocated machine (or one whose deployment failed, which MAAS deploys again). */
  readonly systemId: string;
  /** The event log's words for the move to deploying. */
  readonly reason: string;
}

/** What a deployment records about the machine it starts on. */
export interface DeploymentRecord {
  readonly instanceId: string;
  readonly image: { readonly imageId: string; readonly deployable: boolean };
  readonly instanceType: string | null;
  readonly region: string;
  readonly publicKeys: readonly PublicKey[];
  readonly userData: Uint8Array | null;
  /** The vendor-data for this node; a function, since per-node setup is minted in the transaction. */
  readonly vendorData: (machine: Machine) => Promise<string | null>;
  /** The instance was made in this transaction (a launch), so it has no metadata to replace. */
  readonly newInstance?: boolean;
}

/** The services a deployment is recorded with. */
export interface DeploymentServices {
  readonly db: SqlDatabase;
  readonly inventory: Inventory;
  readonly now: () => Date;
  /** Machines' console logs: where GetConsoleOutput starts for this deployment. */
  readonly consoles?: ConsoleLogSource;
}

/**
 * Move the machine to `deploying` and record its deployment and metadata, in `tx`; answers
 * the machine as it now is.
 * @throws IMAGE_NOT_DEPLOYABLE when a real machine is given an image with no disk image (nothing is written: the caller's transaction rolls back).
 */
export async function deployAllocatedWithin(tx: SqlExecutor, services: DeploymentServices, request: AllocatedDeployment): Promise<Machine> {
  const machine = await services.inventory.transitionWithin(tx, request.systemId, "deploying", request.reason);
  return recordDeploymentWithin(tx, services, machine, request);
}

/**
 * Record the deployment and metadata of `machine`, which this transaction has just moved to
 * `deploying` (or, a test-only machine, through it to `deployed`); answers the machine.
 * @throws IMAGE_NOT_DEPLOYABLE as deployAllocatedWithin.
 */
export async function recordDeploymentWithin(tx: SqlExecutor, services: DeploymentServices, machine: Machine, request: DeploymentRecord): Promise<Machine> {
  const at = services.now().toISOString();
  const bootMac = bootMacOf(machine) ?? null;
  const nocloudSecret = newNocloudSecret();
  // A real machine is now deploying (a test-only one is deployed already): record what it gets.
  if (machine.status === "deploying") {
    const consoleOffset = bootMac && services.consoles ? await services.consoles.size(bootMac) : 0;
    await beginDeploymentWithin(tx, { machine, instanceId: request.instanceId, image: request.image, nocloudSecret, consoleOffset, at });
  }
  const ip = machine.hardware.ip_address;
  await new StoreMetadataSource(services.db, { now: services.now }).recordWithin(tx, {
    instanceId: request.instanceId,
    localIpv4: ip && isIPv4(ip) ? ip : null,
    hostname: machine.hostname,
    mac: bootMac,
    amiId: request.image.imageId,
    instanceType: request.instanceType,
    availabilityZone: machine.zone,
    region: request.region,
    publicKeys: request.publicKeys,
    userData: request.userData,
    nocloudSecret,
    vendorData: await request.vendorData(machine),
  }, { fresh: request.newInstance === true });
  return machine;
}
