/**
 * @module boot/boot-service
 * The boot HTTP service's routes (port 5248): the iPXE entry script, per-MAC scripts
 * rendered from the machine's state on each request, the image files, the enlistment
 * endpoint the discovery ramdisk reports to, and the deploy routes (lib/deploy) the deploy
 * ramdisk and the deployed system call back on.
 */
import { addAccessLogFields } from "../server/access-log-fields.ts";
import { checkHostHeader, requestBaseUrl } from "./request-base-url.ts";
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { isOrchestraError, OrchestraError } from "../errors.ts";
import { imageFilePath, listImages, newestWithRole } from "../images/image-store.ts";
import { IMAGE_FILE_NAMES, type ImageFileName } from "../images/boot-image.ts";
import type { Inventory } from "../inventory/inventory.ts";
import { parseMac } from "../inventory/mac-address.ts";
import { type BootImages, chooseBootBranch } from "./boot-branch.ts";
import type { BootBranch } from "./ipxe-scripts.ts";
import { parseDiscoveryReport } from "./discovery-report.ts";
import { enlistMachine } from "./enlist-machine.ts";
import { renderBootScript, renderChainScript } from "./ipxe-scripts.ts";
import { type RateLimit, RateLimiter } from "./rate-limiter.ts";
import { serveFile } from "./serve-file.ts";
import { FileCache } from "./file-cache.ts";
import { type DeployFanoutOptions, registerDeployService } from "../deploy/deploy-service.ts";
import { registerEraseService } from "../deploy/erase-service.ts";
import { deploymentOf } from "../deploy/deployment-rows.ts";
import { erasureOf } from "../deploy/erasure-rows.ts";
import { newDeployToken } from "../deploy/deploy-token.ts";
import type { MachineBootView } from "../inventory/machine.ts";
import { type AddressWitness, fileAddressWitness } from "./address-witness.ts";
import { dhcpPaths } from "./dhcp-service.ts";
import { admitNodeCall, type Commissioning, commissioningOf, commissioningTokenFor, mayHandOutToken, plainAddress, sameToken } from "./node-token.ts";

/** What the boot service needs. */
export interface BootServiceOptions {
  readonly dataDir: string;
  readonly inventory: Inventory;
  /** Image fan-out for deployments (lib/fanout); absent, deploy plans say HTTP only. */
  readonly fanout?: DeployFanoutOptions;
  /** Accept enlisted machines at once (they become ready on their report). */
  readonly autoAccept?: boolean;
  /** Enlistment requests per source address. */
  readonly enlistRateLimit?: RateLimit;
  /** Largest enlistment body accepted, in bytes. */
  readonly enlistBodyLimit?: number;
  /** Extra kernel arguments for every Linux boot, e.g. "console=ttyS0". */
  readonly kernelArgs?: string;
  /** Where nodes fetch image files when another server (nginx) serves `<data dir>/images`. */
  readonly imageBaseUrl?: string;
  /**
   * The base URL put in scripts, plans and seeds (`--boot-url`, or the server's address on the
   * provisioning network); without it, the local address the request arrived on. Never the Host header.
   */
  readonly bootUrl?: string;
  /** What tells whether a request's address is a MAC's (default: Orchestra's DHCP leases and the kernel's neighbour table). */
  readonly witness?: AddressWitness;
  /** Enlistment requests from all sources together (a flood from many addresses). */
  readonly enlistGlobalRateLimit?: RateLimit;
  /** Boot-script requests for MACs nobody knows, per source address. */
  readonly unknownMacRateLimit?: RateLimit;
  /** Boot-script requests for MACs nobody knows, from all sources together. */
  readonly unknownMacGlobalRateLimit?: RateLimit;
}

/** Defaults: a discovery report is a few KiB; a node reports once per boot. */
export const DEFAULT_ENLIST_RATE_LIMIT: RateLimit = { perMinute: 30, burst: 10 };
export const DEFAULT_ENLIST_BODY_LIMIT = 64 * 1024;
/**
 * All sources together: a data-centre row of new machines (3,000) booting at once passes, a
 * scan from many addresses is slowed to 100 a second after that. The limit was a burst of 200
 * then 10 a second: a storm of 1,000 machines waited minutes and lost reports
 * (tests/bench/enlist-storm.ts), while the server takes each report in about a millisecond.
 */
export const DEFAULT_ENLIST_GLOBAL_RATE_LIMIT: RateLimit = { perMinute: 6000, burst: 3000 };
/** An unknown machine asks for its script a few times per boot. */
export const DEFAULT_UNKNOWN_MAC_RATE_LIMIT: RateLimit = { perMinute: 30, burst: 10 };
/** All sources together, sized like the enlistment limit (it was a burst of 300, then 20 a second). */
export const DEFAULT_UNKNOWN_MAC_GLOBAL_RATE_LIMIT: RateLimit = { perMinute: 12_000, burst: 3000 };
/** The one key a global limiter counts under. */
const EVERYONE = "*";

/** Answer an error with its table status and a JSON body naming the stable code. */
function sendError(reply: FastifyReply, error: OrchestraError): FastifyReply {
  return reply.code(error.status).type("application/json").send({ error: { code: error.code, message: error.message } });
}

/** Map fastify's own request errors (body too large, bad JSON, wrong type) onto the error table. */
function asOrchestraError(error: FastifyError): OrchestraError {
  if (isOrchestraError(error)) return error;
  switch (error.code) {
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return new OrchestraError("PAYLOAD_TOO_LARGE", error.message);
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return new OrchestraError("UNSUPPORTED_MEDIA_TYPE", "send the report as application/json");
  }
  if (typeof error.statusCode === "number" && error.statusCode < 500) return new OrchestraError("INVALID_ARGUMENT", error.message);
  return new OrchestraError("INTERNAL", "internal error; the server log has the details", {}, { cause: error });
}

/** Register the boot routes on `app` (in their own scope, with their own error handler). */
export async function registerBootService(app: FastifyInstance, options: BootServiceOptions): Promise<void> {
  const limiter = new RateLimiter(options.enlistRateLimit ?? DEFAULT_ENLIST_RATE_LIMIT);
  const globalLimiter = new RateLimiter(options.enlistGlobalRateLimit ?? DEFAULT_ENLIST_GLOBAL_RATE_LIMIT);
  const unknownLimiter = new RateLimiter(options.unknownMacRateLimit ?? DEFAULT_UNKNOWN_MAC_RATE_LIMIT);
  const unknownGlobalLimiter = new RateLimiter(options.unknownMacGlobalRateLimit ?? DEFAULT_UNKNOWN_MAC_GLOBAL_RATE_LIMIT);
  const witness = options.witness ?? fileAddressWitness({ leaseFile: dhcpPaths(options.dataDir).leaseFile });
  const { inventory } = options;
  const fileCache = new FileCache();
  const scriptContext = (request: FastifyRequest) => ({ baseUrl: requestBaseUrl(request, options.bootUrl), kernelArgs: options.kernelArgs, imageBaseUrl: options.imageBaseUrl });

  /** The branch for a MAC's machine, with its node token only if this address may have it (docs/boot.md). */
  const branchFor = async (request: FastifyRequest, mac: string, machine: MachineBootView | undefined): Promise<BootBranch> => {
    // One read of the image list for the three roles (each read checks the images directory's time).
    const all = await listImages(options.dataDir);
    const architecture = machine?.architecture ?? "amd64";
    const images: BootImages = { discovery: newestWithRole(all, "discovery", architecture), commissioning: newestWithRole(all, "commissioning", architecture), deploy: newestWithRole(all, "deploy", architecture) };
    // Only a deployment made for this very entry into deploying counts, never an earlier one's row.
    const deploymentRow = machine?.status === "deploying" ? await deploymentOf(inventory.db, machine.systemId) : undefined;
    const erasureRow = machine?.status === "disk_erasing" ? await erasureOf(inventory.db, machine.systemId) : undefined;
    const deployment = deploymentRow && deploymentRow.enteredAt === machine?.statusChangedAt ? deploymentRow : undefined;
    const erasure = erasureRow && erasureRow.enteredAt === machine?.statusChangedAt ? erasureRow : undefined;
    const commissioningToken =
      machine?.status === "commissioning" ? await commissioningTokenFor(inventory.db, machine.systemId, machine.statusChangedAt, newDeployToken, new Date().toISOString()) : undefined;
    const branch = chooseBootBranch(machine, images, deployment, erasure, commissioningToken);
    if (branch.kind !== "deploy" && branch.kind !== "erase" && branch.kind !== "commissioning") return branch;
    const row = branch.kind === "deploy" ? { table: "deployments" as const, bound: deployment!.boundAddress } : branch.kind === "erase" ? { table: "erasures" as const, bound: erasure!.boundAddress } : { table: "commissionings" as const, bound: commissioningToken!.boundAddress };
    if (await mayHandOutToken(inventory.db, witness, mac, { ...row, token: branch.token, address: request.ip })) return branch;
    request.log.warn({ mac, systemId: branch.systemId, source: request.ip, branch: branch.kind }, "boot script with a node token refused: the asking address is not that machine's");
    return { kind: "unavailable", reason: `the ${branch.kind} script of ${branch.systemId} is only for that machine's own address` };
  };

  /**
   * A report naming a machine being commissioned counts only with that commissioning's token,
   * from the address it is bound to; answers the commissioning it is for (undefined: the MAC
   * is not a commissioning machine's, and enlistMachine decides).
   */
  const checkCommissioningReport = async (bootMac: string, token: string | undefined, source: string): Promise<Commissioning | undefined> => {
    const machine = await inventory.findMachineByMac(bootMac);
    if (machine?.status !== "commissioning") return undefined;
    const commissioning = await commissioningOf(inventory.db, machine.systemId);
    const current = commissioning && commissioning.enteredAt === machine.statusChangedAt ? commissioning : undefined;
    if (!current || token === undefined || !sameToken(token, current.token)) {
      throw new OrchestraError("COMMISSIONING_TOKEN_REQUIRED", `machine ${machine.systemId} is being commissioned: only its commissioning ramdisk, with the token its boot script gave it, may report for it`, { systemId: machine.systemId, source: plainAddress(source) });
    }
    await admitNodeCall(inventory.db, witness, { table: "commissionings", token: current.token, bound: current.boundAddress, macs: machine.interfaces.map((nic) => nic.mac), address: source });
    return current;
  };

  await app.register(async (scope) => {
    scope.setErrorHandler((error: FastifyError, request, reply) => {
      const mapped = asOrchestraError(error);
      if (mapped.status >= 500) request.log.error({ err: error }, "boot request failed");
      else request.log.warn({ code: mapped.code, reason: mapped.message }, "boot request refused");
      return sendError(reply, mapped);
    });
    // A callback hook (a throw is the request's error, as a rejection was): no promise per request.
    scope.addHook("onRequest", (request, _reply, done) => {
      checkHostHeader(request);
      done();
    });

    scope.get("/boot.ipxe", async (request, reply) => {
      request.log.info({ path: "/boot.ipxe" }, "iPXE entry script");
      return reply.type("text/plain").send(renderChainScript(scriptContext(request)));
    });

    scope.get<{ Params: { file: string } }>("/boot/:file", async (request, reply) => {
      const match = /^(.+)\.ipxe$/.exec(request.params.file);
      if (!match) throw new OrchestraError("INVALID_ARGUMENT", "boot scripts are /boot/<mac>.ipxe");
      const mac = parseMac(match[1]!);
      const machine = await inventory.findBootViewByMac(mac);
      // A scan of unknown MACs (looking for a known one) is slowed per source and overall.
      if (!machine && (!unknownLimiter.take(request.ip) || !unknownGlobalLimiter.take(EVERYONE))) {
        throw new OrchestraError("RATE_LIMITED", `too many boot-script requests for unknown MACs from ${request.ip}; retry in a minute`, { source: request.ip });
      }
      const branch = await branchFor(request, mac, machine);
      // On the request's access line, not a line of its own.
      addAccessLogFields(request, { mac, systemId: machine?.systemId, machineStatus: machine?.status ?? "unknown", branch: branch.kind });
      return reply.type("text/plain").send(renderBootScript(scriptContext(request), branch));
    });

    const imageRoute = async (request: FastifyRequest<{ Params: { id: string; file: string } }>, reply: FastifyReply) => {
      const { id, file } = request.params;
      if (!(IMAGE_FILE_NAMES as readonly string[]).includes(file)) throw new OrchestraError("IMAGE_NOT_FOUND", `images have no file ${JSON.stringify(file)}`);
      return serveFile(request, reply, imageFilePath(options.dataDir, id, file as ImageFileName), fileCache).catch((error: unknown) => {
        // A missing file under a valid-looking id is the caller's 404, not our 500.
        if (isOrchestraError(error, "BOOT_FILE_MISSING")) throw new OrchestraError("IMAGE_NOT_FOUND", `no image ${id} with a ${file}`, { id, file });
        throw error;
      });
    };
    scope.get("/images/:id/:file", imageRoute);

    await registerDeployService(scope, { dataDir: options.dataDir, inventory, imageBaseUrl: options.imageBaseUrl, bootUrl: options.bootUrl, witness, ...(options.fanout ? { fanout: options.fanout } : {}) });
    await registerEraseService(scope, { inventory, witness });

    scope.post(
      "/enlist",
      {
        bodyLimit: options.enlistBodyLimit ?? DEFAULT_ENLIST_BODY_LIMIT,
        // Before the body is read: a flood is refused without parsing anything.
        onRequest: async (request) => {
          if (!limiter.take(request.ip) || !globalLimiter.take(EVERYONE)) throw new OrchestraError("RATE_LIMITED", `too many enlistment requests from ${request.ip}; retry in a minute`, { source: request.ip });
          const type = request.headers["content-type"] ?? "";
          if (!/^application\/json\s*(;|$)/i.test(type)) throw new OrchestraError("UNSUPPORTED_MEDIA_TYPE", `enlistment reports are application/json, not ${JSON.stringify(type)}`);
        },
      },
      async (request, reply) => {
        const report = parseDiscoveryReport(request.body);
        const commissioning = await checkCommissioningReport(report.bootMac, report.token, request.ip);
        const result = await enlistMachine(inventory, report, { autoAccept: options.autoAccept, ...(commissioning ? { commissioningEntry: commissioning.enteredAt } : {}) });
        request.log.info({ mac: report.bootMac, systemId: result.machine.systemId, status: result.machine.status, action: result.action, source: request.ip }, "enlistment");
        return reply.code(result.action === "created" ? 201 : 200).send({ systemId: result.machine.systemId, hostname: result.machine.hostname, status: result.machine.status, action: result.action });
      },
    );
  });
}
