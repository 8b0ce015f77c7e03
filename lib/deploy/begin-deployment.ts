/**
 * @module deploy/begin-deployment
 * Starting a deployment: the row that ties a machine's `deploying` entry to the image it
 * gets, the token its deploy ramdisk will show, the NoCloud secret its deployed system will
 * read its metadata with, and where its console log starts. Written in the caller's
 * transaction, with the state change it belongs to.
 */
import { OrchestraError } from "../errors.ts";
import type { Machine } from "../inventory/machine.ts";
import type { SqlExecutor } from "../store/sql-database.ts";
import { newDeployToken } from "./deploy-token.ts";
import { insertDeployment } from "./deployment-rows.ts";

/** What a deployment is of. */
export interface DeploymentRequest {
  /** The machine just moved to `deploying` (its statusChangedAt identifies the entry). */
  readonly machine: Machine;
  readonly instanceId: string | null;
  readonly image: { readonly imageId: string; readonly deployable: boolean };
  readonly nocloudSecret: string | null;
  /** The machine's console log size now: GetConsoleOutput shows what comes after. */
  readonly consoleOffset: number;
  readonly at: string;
}

/**
 * Record the deployment; answers its token.
 * @throws IMAGE_NOT_DEPLOYABLE when the image has no disk image to write (the caller's transaction then changes nothing).
 */
export async function beginDeploymentWithin(tx: SqlExecutor, request: DeploymentRequest): Promise<string> {
  const { machine, image } = request;
  if (machine.status !== "deploying") throw new Error(`machine ${machine.systemId} is ${machine.status}, not deploying`);
  if (!image.deployable) {
    throw new OrchestraError(
      "IMAGE_NOT_DEPLOYABLE",
      `The image '${image.imageId}' has no disk image to write to machine ${machine.systemId}; build or import one (orchestra images build-os) and launch that.`,
      { imageId: image.imageId, machine: machine.systemId },
    );
  }
  const token = newDeployToken();
  await insertDeployment(tx, {
    systemId: machine.systemId,
    token,
    enteredAt: machine.statusChangedAt,
    instanceId: request.instanceId,
    imageId: image.imageId,
    nocloudSecret: request.nocloudSecret,
    consoleOffset: request.consoleOffset,
    at: request.at,
  });
  return token;
}
