/**
 * @module deploy/deploy-service
 * The routes the deploy ramdisk and the deployed system call, on the boot listener:
 *
 *   GET  /deploy/<token>/plan                  what to write where (KEY=value lines), then the cloud-init seed file
 *   GET  /deploy/<token>/seed                  that seed file alone (for ramdisks built before the plan carried it)
 *   POST /deploy/<token>/progress              bytes written so far (best effort)
 *   POST /deploy/<token>/report?status=…       success or failure; body: summary line, then the log
 *   POST /deploy/<token>/booted                cloud-init's phone_home from the deployed system
 *
 * The token names the deployment; a call counts only while the machine is still in the
 * `deploying` entry the deployment belongs to. A success report leaves the machine
 * deploying (its image is on disk, it reboots into it); the deployed system's call makes
 * it `deployed` (the instance `running`). Repeated calls answer the same and change nothing.
 */
import { requestBaseUrl } from "../boot/request-base-url.ts";
import { open } from "node:fs/promises";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { isOrchestraError, OrchestraError } from "../errors.ts";
import { getImage, imageFilePath } from "../images/image-store.ts";
import { renderNoCloudSeedConfig } from "../images/os-image-config.ts";
import type { Inventory } from "../inventory/inventory.ts";
import type { Machine } from "../inventory/machine.ts";
import { StoreMetadataSource } from "../metadata/store-metadata-source.ts";
import { chooseDisk, type DeployPlan, type ImageFormat, imageFormatOf, renderDeployPlan } from "./deploy-plan.ts";
import { isDeployToken } from "./deploy-token.ts";
import { deploymentImageTorrent } from "./fanout-torrents.ts";
import type { AddressWitness } from "../boot/address-witness.ts";
import { admitNodeCall, plainAddress } from "../boot/node-token.ts";
import { DEPLOY_LOG_LIMIT, splitReport } from "./node-report.ts";
import { type Deployment, type DeploymentMachineState, deploymentByToken, deploymentWithMachineState, updateDeployment } from "./deployment-rows.ts";
import type { DeploymentPhase } from "./deployment-schema.ts";

/** What the deploy routes need. */
export interface DeployServiceOptions {
  readonly dataDir: string;
  readonly inventory: Inventory;
  /** Where nodes fetch image files when another server (nginx) serves `<data dir>/images`. */
  readonly imageBaseUrl?: string;
  /** The base URL put in plans and seeds (configuration); without it, the request's local address. */
  readonly bootUrl?: string;
  /** What tells whether a caller's address is the machine's (lib/boot/address-witness.ts). */
  readonly witness: AddressWitness;
  readonly now?: () => Date;
  /** Fan-out (BitTorrent, lib/fanout): plans carry a torrent URL; absent, nodes use HTTP only. */
  readonly fanout?: DeployFanoutOptions;
}

/** How deployments use fan-out. */
export interface DeployFanoutOptions {
  /** The tracker's port; nodes reach it at the host they reach the boot listener at. */
  readonly trackerPort: number;
  /** The tracker's URL as nodes reach it, when that is not the boot host (e.g. behind NAT). */
  readonly trackerUrl?: string;
  /** How long a node keeps seeding after its download (FANOUT_SEED_SECONDS). */
  readonly seedSeconds: number;
  /** How long a node waits on a swarm that sends nothing before it falls back to HTTP (FANOUT_STALL_SECONDS). */
  readonly stallSeconds: number;
}

/** The tracker's URL as the caller of `baseUrl` reaches it. */
export function trackerUrlFor(baseUrl: string, fanout: Pick<DeployFanoutOptions, "trackerPort" | "trackerUrl">): string {
  if (fanout.trackerUrl) return fanout.trackerUrl.replace(/\/+$/, "");
  const url = new URL(baseUrl);
  return `http://${url.hostname}:${fanout.trackerPort}`;
}


/** The deployment a token names and its machine's state, if the machine is still in that deployment. */
async function activeDeployment(inventory: Inventory, token: string): Promise<{ deployment: Deployment; machine: DeploymentMachineState }> {
  if (!isDeployToken(token)) throw new OrchestraError("DEPLOYMENT_NOT_FOUND", "no deployment has that token");
  const found = await deploymentWithMachineState(inventory.db, token);
  if (!found) throw new OrchestraError("DEPLOYMENT_NOT_FOUND", "no deployment has that token");
  const { deployment, machine } = found;
  if (!machine) throw new OrchestraError("MACHINE_NOT_FOUND", `no machine has system id, hostname or MAC ${JSON.stringify(deployment.systemId)}`, { machine: deployment.systemId });
  if (machine.status !== "deploying" || machine.statusChangedAt !== deployment.enteredAt) {
    throw new OrchestraError("DEPLOYMENT_NOT_ACTIVE", `machine ${machine.systemId} is ${machine.status}; this deployment is over`, { machine: machine.systemId, status: machine.status });
  }
  return { deployment, machine };
}

/**
 * The format of each image's root file, read once: an image's files never change after its
 * import (a new import is a new id), and opening the file for six bytes on every plan was
 * a deployment's cost for nothing (tests/bench/deploy-overhead.ts). Keyed by the id and the
 * file's digest, so a file that did change is read again.
 */
const rootFormats = new Map<string, ImageFormat>();

async function rootFormatOf(dataDir: string, imageId: string, sha256: string): Promise<ImageFormat> {
  const key = `${imageId}:${sha256}`;
  let format = rootFormats.get(key);
  if (format === undefined) {
    format = imageFormatOf(await readHead(imageFilePath(dataDir, imageId, "root"), 6));
    rootFormats.set(key, format);
  }
  return format;
}

async function readHead(path: string, bytes: number): Promise<Uint8Array> {
  const file = await open(path, "r");
  try {
    const buffer = Buffer.alloc(bytes);
    const { bytesRead } = await file.read(buffer, 0, bytes, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await file.close();
  }
}

/**
 * The deployment a node's call is for: the active one, or, for a node repeating a call whose
 * first answer it lost, the finished one when it ended in one of `repeatable` phases (then
 * without a machine: there is nothing more to do).
 */
async function deploymentForCall(inventory: Inventory, token: string, repeatable: readonly DeploymentPhase[]): Promise<{ deployment: Deployment; machine?: DeploymentMachineState }> {
  try {
    return await activeDeployment(inventory, token);
  } catch (error) {
    if (isOrchestraError(error, "DEPLOYMENT_NOT_ACTIVE")) {
      const done = await deploymentByToken(inventory.db, token);
      if (done && repeatable.includes(done.phase)) return { deployment: done };
    }
    throw error;
  }
}

/** Whether the deployment's image is still to be written or being written: the phases a torrent and the seed file are handed out in. */
function imageBeingWritten(deployment: Deployment): boolean {
  return deployment.phase === "planned" || deployment.phase === "writing";
}

/**
 * The cloud-init seed file the ramdisk writes into the root file system: it carries the
 * NoCloud secret, so it is handed out (in the plan, or alone) only while the image is being
 * written, to the ramdisk that writes it.
 */
function seedConfigFor(base: string, deployment: Deployment): string {
  return renderNoCloudSeedConfig(`${base}/nocloud/${deployment.nocloudSecret}/`, { phoneHomeUrl: `${base}/deploy/${deployment.token}/booted` });
}

/** Routes after which the lifecycle engine has nothing new to do (failed_deployment and deployed have no power step): the server does not wake it. */
const NO_POWER_WORK = { wakesEngine: false };

/** A body as text: text/plain and form bodies arrive as strings (see the parser below). */
function bodyText(request: FastifyRequest): string {
  return typeof request.body === "string" ? request.body : "";
}

/** Register the deploy routes on `app` (inside the boot service's scope, sharing its error handling). */
export async function registerDeployService(app: FastifyInstance, options: DeployServiceOptions): Promise<void> {
  const { inventory, dataDir, witness } = options;
  /** The MACs of a deployment's machine (none when it is gone): what the network may prove an address against. */
  const macsOf = async (systemId: string) => (await inventory.getMachine(systemId).catch(() => undefined))?.interfaces.map((nic) => nic.mac) ?? [];
  /**
   * A node's call counts only from the address its token is bound to (docs/boot.md). From
   * that address (every call after the first) nothing more is read: the machine's MACs
   * matter only to an address the network must prove.
   */
  const admit = async (request: FastifyRequest, deployment: Deployment, machine?: Pick<Machine, "interfaces">) => {
    if (deployment.boundAddress === plainAddress(request.ip)) return;
    const macs = machine ? machine.interfaces.map((nic) => nic.mac) : await macsOf(deployment.systemId);
    await admitNodeCall(inventory.db, witness, { table: "deployments", token: deployment.token, bound: deployment.boundAddress, macs, address: request.ip });
  };
  const now = () => (options.now ?? (() => new Date()))().toISOString();
  const metadata = new StoreMetadataSource(inventory.db);

  /**
   * The deployed system's call: its DHCP client may lease another address than the ramdisk's,
   * so it counts from the deployment's bound address, from the address that first read the
   * instance's NoCloud metadata (its secret came in the seed, to the bound ramdisk), or from
   * one the network proves is the machine's. Nothing else.
   */
  const admitBooted = async (request: FastifyRequest, deployment: Deployment) => {
    const address = plainAddress(request.ip);
    if (deployment.boundAddress === address) return;
    if (deployment.instanceId) {
      if ((await metadata.addressOf(deployment.instanceId)) === address) return;
    }
    // Proof by the network only: a never-bound token is not bound by this call.
    await admitNodeCall(inventory.db, witness, { table: "deployments", token: deployment.token, bound: deployment.boundAddress ?? "", macs: await macsOf(deployment.systemId), address });
  };

  await app.register(async (scope) => {
    // busybox wget posts as x-www-form-urlencoded; cloud-init's phone_home too. Both are read as text.
    scope.addContentTypeParser("application/x-www-form-urlencoded", { parseAs: "string", bodyLimit: 16 * 1024 }, (_request, body, done) => done(null, body));

    /** Fail the deployment and its machine with `reason` (guarded: a deployment already over stays as it is). */
    const failDeployment = async (deployment: Deployment, machine: DeploymentMachineState, reason: string, log?: string) =>
      inventory.db.transaction(async (tx) => {
        const moved = await inventory.moveFromWithin(tx, machine.systemId, machine, "failed_deployment", `deployment failed: ${reason}`);
        if (moved) await updateDeployment(tx, deployment.token, ["planned", "writing", "written"], { phase: "failed", message: reason, ...(log === undefined ? {} : { log }) }, now());
        return moved;
      });

    scope.get<{ Params: { token: string } }>("/deploy/:token/plan", { logLevel: "warn" }, async (request, reply) => {
      const { deployment, machine } = await activeDeployment(inventory, request.params.token);
      await admit(request, deployment);
      // The plan needs the machine's disks, and nothing else of it.
      const disks = await inventory.getDisks(machine.systemId);
      if (deployment.phase === "failed" || deployment.phase === "booted") {
        throw new OrchestraError("DEPLOYMENT_NOT_ACTIVE", `this deployment is ${deployment.phase}`, { machine: machine.systemId });
      }
      const image = await getImage(dataDir, deployment.imageId).catch(() => undefined);
      const root = image?.files.root;
      if (!image || !root) {
        const reason = `image ${deployment.imageId} ${image ? "has no disk image file" : "is no longer in the image store"}`;
        await failDeployment(deployment, machine, reason);
        throw new OrchestraError("DEPLOYMENT_NOT_ACTIVE", reason, { machine: machine.systemId });
      }
      const needBytes = image.minDiskBytes ?? root.sizeBytes;
      const disk = chooseDisk(disks, needBytes);
      if (!disk) {
        const reason = `no disk of at least ${needBytes} bytes on ${machine.systemId} (disks: ${disks.map((d) => `${d.name} ${d.sizeBytes}`).join(", ") || "none"})`;
        await failDeployment(deployment, machine, reason);
        throw new OrchestraError("DEPLOYMENT_NOT_ACTIVE", reason, { machine: machine.systemId });
      }
      const base = requestBaseUrl(request, options.bootUrl);
      const files = (options.imageBaseUrl ?? `${base}/images`).replace(/\/+$/, "");
      const deployBase = `${base}/deploy/${deployment.token}`;
      const plan: DeployPlan = {
        systemId: machine.systemId,
        imageId: image.id,
        imageUrl: `${files}/${image.id}/root`,
        imageFormat: await rootFormatOf(dataDir, image.id, root.sha256),
        imageSha256: root.sha256,
        imageBytes: root.sizeBytes,
        disk,
        ...(image.rootPartition === undefined ? {} : { rootPartition: image.rootPartition }),
        ...(deployment.nocloudSecret ? { seedConfigUrl: `${deployBase}/seed` } : {}),
        // The seed file rides along only while the seed route would hand it out.
        ...(deployment.nocloudSecret && imageBeingWritten(deployment) ? { seedConfig: seedConfigFor(base, deployment) } : {}),
        progressUrl: `${deployBase}/progress`,
        reportUrl: `${deployBase}/report`,
        bootedUrl: `${deployBase}/booted`,
        ...(options.fanout ? { fanout: { torrentUrl: `${deployBase}/image.torrent`, seedSeconds: options.fanout.seedSeconds, stallSeconds: options.fanout.stallSeconds } } : {}),
      };
      // The ramdisk's address is not recorded as the instance's: the deployed system may lease
      // another one (its DHCP client is not the ramdisk's); it tells its own when it has booted.
      await inventory.db.transaction((tx) => updateDeployment(tx, deployment.token, ["planned", "writing"], { phase: "writing", bytesTotal: root.sizeBytes, nodeAddress: request.ip }, now()));
      request.log.warn({ systemId: machine.systemId, image: image.id, disk, source: request.ip }, "deploy plan handed out");
      return reply.type("text/plain").send(renderDeployPlan(plan));
    });

    // The torrent names the tracker with this deployment's token: only it can join the swarm with it.
    scope.get<{ Params: { token: string } }>("/deploy/:token/image.torrent", { logLevel: "warn" }, async (request, reply) => {
      if (!options.fanout) throw new OrchestraError("DEPLOYMENT_NOT_FOUND", "fan-out is off on this server");
      const { deployment, machine } = await activeDeployment(inventory, request.params.token);
      await admit(request, deployment);
      if (!imageBeingWritten(deployment)) {
        throw new OrchestraError("DEPLOYMENT_NOT_ACTIVE", `this deployment is ${deployment.phase}`, { machine: machine.systemId });
      }
      const tracker = trackerUrlFor(requestBaseUrl(request, options.bootUrl), options.fanout);
      const { torrent, infoHash } = await deploymentImageTorrent(dataDir, deployment.imageId, tracker, deployment.token);
      request.log.warn({ systemId: machine.systemId, image: deployment.imageId, infoHash, source: request.ip }, "fan-out: torrent handed out");
      return reply.type("application/x-bittorrent").send(Buffer.from(torrent));
    });

    // Rendered here, not on the node: one renderer for the file the OS image expects (lib/images/os-image-config.ts).
    scope.get<{ Params: { token: string } }>("/deploy/:token/seed", { logLevel: "warn" }, async (request, reply) => {
      const { deployment, machine } = await activeDeployment(inventory, request.params.token);
      await admit(request, deployment);
      if (!deployment.nocloudSecret) throw new OrchestraError("DEPLOYMENT_NOT_FOUND", "this deployment has no metadata seed");
      // The seed carries the NoCloud secret: handed out only while the image is being written,
      // to the ramdisk that writes it; after the success report it is gone.
      if (!imageBeingWritten(deployment)) {
        throw new OrchestraError("DEPLOYMENT_NOT_ACTIVE", `this deployment is ${deployment.phase}: its seed was handed out while the image was written`, { machine: machine.systemId });
      }
      return reply.type("text/plain").send(seedConfigFor(requestBaseUrl(request, options.bootUrl), deployment));
    });

    scope.post<{ Params: { token: string } }>("/deploy/:token/progress", { logLevel: "warn", config: NO_POWER_WORK }, async (request, reply) => {
      const { deployment, machine } = await activeDeployment(inventory, request.params.token);
      const match = /^bytes=(\d{1,15})$/.exec(bodyText(request).trim());
      if (!match) throw new OrchestraError("INVALID_ARGUMENT", "a progress report is bytes=<number>");
      await admit(request, deployment);
      await inventory.db.transaction((tx) => updateDeployment(tx, deployment.token, ["writing"], { bytesDone: Number(match[1]) }, now()));
      return reply.code(204).send();
    });

    scope.post<{ Params: { token: string }; Querystring: { status?: string } }>("/deploy/:token/report", { logLevel: "warn", bodyLimit: DEPLOY_LOG_LIMIT * 2, config: NO_POWER_WORK }, async (request, reply) => {
      const status = request.query.status;
      if (status !== "success" && status !== "failure") throw new OrchestraError("INVALID_ARGUMENT", "a report is ?status=success or ?status=failure");
      const { summary, log } = splitReport(bodyText(request), status === "success" ? "image written" : "the node gave no reason");
      // A repeated report after the first one ended the deployment gets the same answer.
      const { deployment, machine } = await deploymentForCall(inventory, request.params.token, status === "failure" ? ["failed"] : ["written", "booted"]);
      await admit(request, deployment);
      if (!machine) return reply.send({ systemId: deployment.systemId, phase: deployment.phase });
      if (status === "failure") {
        await failDeployment(deployment, machine, summary, log);
        request.log.warn({ systemId: machine.systemId, reason: summary }, "deployment failed on the node");
        return reply.send({ systemId: machine.systemId, phase: "failed" });
      }
      await inventory.db.transaction((tx) => updateDeployment(tx, deployment.token, ["planned", "writing"], { phase: "written", message: summary, log, bytesDone: deployment.bytesTotal ?? deployment.bytesDone }, now()));
      request.log.warn({ systemId: machine.systemId }, `image written: ${summary}`);
      return reply.send({ systemId: machine.systemId, phase: "written" });
    });

    scope.post<{ Params: { token: string } }>("/deploy/:token/booted", { logLevel: "warn", config: NO_POWER_WORK }, async (request, reply) => {
      const { deployment, machine } = await deploymentForCall(inventory, request.params.token, ["booted"]);
      if (!machine) {
        await admitBooted(request, deployment);
        return reply.send({ systemId: deployment.systemId, phase: "booted" });
      }
      // The system booted from its disk, so the image was written even if that report was lost.
      if (deployment.phase !== "writing" && deployment.phase !== "written") {
        throw new OrchestraError("DEPLOYMENT_NOT_ACTIVE", `this deployment is ${deployment.phase}, not written`, { machine: machine.systemId });
      }
      await admitBooted(request, deployment);
      // cloud-init posts the instance id its datasource gave it: another one (iid-datasource-none)
      // means the system booted without its metadata, so the user-data never ran.
      const posted = new URLSearchParams(bodyText(request)).get("instance_id");
      if (deployment.instanceId && posted !== null && posted !== deployment.instanceId) {
        const reason = `the deployed system booted without its metadata: cloud-init reported instance id ${JSON.stringify(posted.slice(0, 64))}, not ${deployment.instanceId} (it could not read ${requestBaseUrl(request, options.bootUrl)}/nocloud/…)`;
        await failDeployment(deployment, machine, reason);
        throw new OrchestraError("DEPLOYMENT_NOT_ACTIVE", reason, { machine: machine.systemId });
      }
      const moved = await inventory.db.transaction(async (tx) => {
        const done = await inventory.moveFromWithin(tx, machine.systemId, machine, "deployed", `booted the deployed image; reported from ${request.ip}`);
        if (done) {
          await updateDeployment(tx, deployment.token, ["writing", "written"], { phase: "booted", nodeAddress: request.ip }, now());
          if (deployment.instanceId) await metadata.recordAddressWithin(tx, deployment.instanceId, request.ip);
        }
        return done;
      });
      if (!moved) throw new OrchestraError("DEPLOYMENT_NOT_ACTIVE", `machine ${machine.systemId} changed state meanwhile`, { machine: machine.systemId });
      request.log.warn({ systemId: machine.systemId, source: request.ip }, "deployed system booted");
      return reply.send({ systemId: machine.systemId, phase: "booted" });
    });
  });
}
