/**
 * @module boot/boot-service
 * The boot HTTP service's routes (port 5248): the iPXE entry script, per-MAC scripts
 * rendered from the machine's state on each request, the image files, the enlistment
 * endpoint the discovery ramdisk reports to, and the deploy routes (lib/deploy) the deploy
 * ramdisk and the deployed system call back on.
 */
import { requestBaseUrl } from "./request-base-url.ts";
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { isOrchestraError, OrchestraError } from "../errors.ts";
import { findImageByRole, imageFilePath } from "../images/image-store.ts";
import { IMAGE_FILE_NAMES, type ImageFileName } from "../images/boot-image.ts";
import type { Inventory } from "../inventory/inventory.ts";
import { parseMac } from "../inventory/mac-address.ts";
import { type BootImages, chooseBootBranch } from "./boot-branch.ts";
import { parseDiscoveryReport } from "./discovery-report.ts";
import { enlistMachine } from "./enlist-machine.ts";
import { renderBootScript, renderChainScript } from "./ipxe-scripts.ts";
import { type RateLimit, RateLimiter } from "./rate-limiter.ts";
import { serveFile } from "./serve-file.ts";
import { registerDeployService } from "../deploy/deploy-service.ts";
import { registerEraseService } from "../deploy/erase-service.ts";
import { deploymentOf } from "../deploy/deployment-rows.ts";
import { erasureOf } from "../deploy/erasure-rows.ts";

/** What the boot service needs. */
export interface BootServiceOptions {
  readonly dataDir: string;
  readonly inventory: Inventory;
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
}

/** Defaults: a discovery report is a few KiB; a node reports once per boot. */
export const DEFAULT_ENLIST_RATE_LIMIT: RateLimit = { perMinute: 30, burst: 10 };
export const DEFAULT_ENLIST_BODY_LIMIT = 64 * 1024;

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
  const scriptContext = (request: FastifyRequest) => ({ baseUrl: requestBaseUrl(request), kernelArgs: options.kernelArgs, imageBaseUrl: options.imageBaseUrl });

  await app.register(async (scope) => {
    scope.setErrorHandler((error: FastifyError, request, reply) => {
      const mapped = asOrchestraError(error);
      if (mapped.status >= 500) request.log.error({ err: error }, "boot request failed");
      else request.log.warn({ code: mapped.code, reason: mapped.message }, "boot request refused");
      return sendError(reply, mapped);
    });

    scope.get("/boot.ipxe", async (request, reply) => {
      request.log.info({ path: "/boot.ipxe" }, "iPXE entry script");
      return reply.type("text/plain").send(renderChainScript(scriptContext(request)));
    });

    scope.get<{ Params: { file: string } }>("/boot/:file", async (request, reply) => {
      const match = /^(.+)\.ipxe$/.exec(request.params.file);
      if (!match) throw new OrchestraError("INVALID_ARGUMENT", "boot scripts are /boot/<mac>.ipxe");
      const mac = parseMac(match[1]!);
      const machine = await options.inventory.findMachineByMac(mac);
      const [discovery, commissioning, deploy] = await Promise.all(
        (["discovery", "commissioning", "deploy"] as const).map((role) => findImageByRole(options.dataDir, role, machine?.architecture ?? "amd64")),
      );
      const images: BootImages = { discovery, commissioning, deploy };
      // Only a deployment made for this very entry into deploying counts, never an earlier one's row.
      const deployment = machine?.status === "deploying" ? await deploymentOf(options.inventory.db, machine.systemId) : undefined;
      const erasure = machine?.status === "disk_erasing" ? await erasureOf(options.inventory.db, machine.systemId) : undefined;
      const branch = chooseBootBranch(
        machine,
        images,
        deployment && deployment.enteredAt === machine?.statusChangedAt ? deployment : undefined,
        erasure && erasure.enteredAt === machine?.statusChangedAt ? erasure : undefined,
      );
      request.log.info({ mac, systemId: machine?.systemId, status: machine?.status ?? "unknown", branch: branch.kind }, "boot script");
      return reply.type("text/plain").send(renderBootScript(scriptContext(request), branch));
    });

    const imageRoute = async (request: FastifyRequest<{ Params: { id: string; file: string } }>, reply: FastifyReply) => {
      const { id, file } = request.params;
      if (!(IMAGE_FILE_NAMES as readonly string[]).includes(file)) throw new OrchestraError("IMAGE_NOT_FOUND", `images have no file ${JSON.stringify(file)}`);
      return serveFile(request, reply, imageFilePath(options.dataDir, id, file as ImageFileName)).catch((error: unknown) => {
        // A missing file under a valid-looking id is the caller's 404, not our 500.
        if (isOrchestraError(error, "BOOT_FILE_MISSING")) throw new OrchestraError("IMAGE_NOT_FOUND", `no image ${id} with a ${file}`, { id, file });
        throw error;
      });
    };
    scope.get("/images/:id/:file", imageRoute);

    await registerDeployService(scope, { dataDir: options.dataDir, inventory: options.inventory, imageBaseUrl: options.imageBaseUrl });
    await registerEraseService(scope, { inventory: options.inventory });

    scope.post(
      "/enlist",
      {
        bodyLimit: options.enlistBodyLimit ?? DEFAULT_ENLIST_BODY_LIMIT,
        // Before the body is read: a flood is refused without parsing anything.
        onRequest: async (request) => {
          if (!limiter.take(request.ip)) throw new OrchestraError("RATE_LIMITED", `too many enlistment requests from ${request.ip}; retry in a minute`, { source: request.ip });
          const type = request.headers["content-type"] ?? "";
          if (!/^application\/json\s*(;|$)/i.test(type)) throw new OrchestraError("UNSUPPORTED_MEDIA_TYPE", `enlistment reports are application/json, not ${JSON.stringify(type)}`);
        },
      },
      async (request, reply) => {
        const report = parseDiscoveryReport(request.body);
        const result = await enlistMachine(options.inventory, report, { autoAccept: options.autoAccept });
        request.log.info({ mac: report.bootMac, systemId: result.machine.systemId, status: result.machine.status, action: result.action, source: request.ip }, "enlistment");
        return reply.code(result.action === "created" ? 201 : 200).send({ systemId: result.machine.systemId, hostname: result.machine.hostname, status: result.machine.status, action: result.action });
      },
    );
  });
}
