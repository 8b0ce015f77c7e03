/**
 * @module maas/http/maas-api
 * The MAAS 2.0 API as a fastify plugin, mounted at /MAAS/api/2.0/ on the EC2 listener: one
 * port for both doors. Every request but `version/` must carry a valid OAuth PLAINTEXT
 * signature; then the path (`machines/{id}/`), the method and `op` pick one operation from
 * the table, its parameters are checked against its list, and it runs for the caller's account.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Logger } from "pino";
import { OrchestraError } from "../../errors.ts";
import { verifyOAuthPlaintext } from "../auth/oauth-plaintext.ts";
import { MAAS_API_PATH, type MaasServices } from "../model/maas-services.ts";
import { MAAS_OPERATIONS } from "../operations/operation-table.ts";
import type { MaasMethod, MaasOperation } from "../operations/define-operation.ts";
import { badParameter, readMaasParams } from "./request-params.ts";
import { maasErrorAnswer } from "./maas-error.ts";

/** How to mount the API. */
export interface MaasApiOptions {
  readonly services: MaasServices;
  readonly logger?: Logger;
  readonly operations?: readonly MaasOperation[];
}

/** A matched operation and the id its path carried. */
interface Route {
  readonly operation: MaasOperation;
  readonly id: string | undefined;
}

function matchPath(pattern: string, segments: readonly string[]): { matched: boolean; id?: string } {
  const parts = pattern.split("/");
  if (parts.length !== segments.length) return { matched: false };
  let id: string | undefined;
  for (const [i, part] of parts.entries()) {
    if (part === "{id}") id ??= segments[i];
    else if (part !== segments[i]) return { matched: false };
  }
  return { matched: true, id };
}

function route(operations: readonly MaasOperation[], method: string, segments: readonly string[], op: string): Route {
  const atPath = operations.flatMap((operation) => {
    const found = matchPath(operation.resource, segments);
    return found.matched ? [{ operation, id: found.id }] : [];
  });
  // A fixed path (machines/) wins over a pattern; `op` picks among the operations there.
  if (atPath.length === 0) throw new OrchestraError("MAAS_NOT_FOUND", `Unknown API endpoint: ${MAAS_API_PATH}/${segments.join("/")}/.`);
  const found = atPath.find((r) => r.operation.method === method && r.operation.op === op);
  if (!found) throw new OrchestraError("MAAS_UNKNOWN_OPERATION", `Unrecognised signature: method=${method.slice(0, 8)} op=${op ? op.slice(0, 64) : "None"}`);
  return found;
}

/** Register the API on `app` (under the MAAS_API_PATH prefix). */
export async function maasApi(app: FastifyInstance, options: MaasApiOptions): Promise<void> {
  const operations = options.operations ?? MAAS_OPERATIONS;
  const log = options.logger;
  const { services } = options;

  const handle = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const started = process.hrtime.bigint();
    const rawUrl = request.raw.url ?? "/";
    const path = rawUrl.split("?")[0]!;
    let account = "-";
    let name = "-";
    try {
      const segments = path.slice(MAAS_API_PATH.length).split("/").filter((s) => s !== "").map(decodeSegment);
      const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const params = readMaasParams(rawUrl, request.headers["content-type"], body);
      const op = params.one("op") ?? "";
      const found = route(operations, request.method, segments, op);
      name = `${found.operation.method} ${found.operation.resource} ${op}`;
      const caller = found.operation.anonymous ? undefined : await verifyOAuthPlaintext(request.headers.authorization, services.lookupKey, services.now());
      account = caller?.account ?? "-";
      if (found.operation.params !== "*") {
        const allowed = new Set([...found.operation.params, "op"]);
        const stray = params.names().find((n) => !allowed.has(n));
        if (stray !== undefined) throw badParameter(stray.slice(0, 64), `Unknown parameter ${JSON.stringify(stray.slice(0, 64))} for ${op || request.method}.`);
      }
      const result = await found.operation.run({ account, services }, params, found.id);
      reply.status(200).type("application/json").send(JSON.stringify(result));
      log?.info({ operation: name, account, status: 200, ms: elapsedMs(started) }, "maas request");
    } catch (error) {
      const answer = maasErrorAnswer(error);
      if (answer.status >= 500) log?.error({ operation: name, err: error }, "maas request failed");
      reply.status(answer.status).type(answer.contentType).send(answer.body);
      log?.info({ operation: name, account, status: answer.status, ms: elapsedMs(started) }, "maas request");
    }
  };

  app.setNotFoundHandler((_request, reply) => {
    reply.status(404).type("text/plain; charset=utf-8").send("Not Found");
  });
  app.setErrorHandler((error, _request, reply) => {
    const answer = (error as { code?: string }).code === "FST_ERR_CTP_BODY_TOO_LARGE"
      ? { status: 413, contentType: "text/plain; charset=utf-8", body: "Request body too large." }
      : maasErrorAnswer(error);
    reply.status(answer.status).type(answer.contentType).send(answer.body);
  });
  app.route({ method: ["GET", "POST", "PUT", "DELETE"] satisfies MaasMethod[], url: "/*", handler: handle });
  app.route({ method: ["GET", "POST", "PUT", "DELETE"] satisfies MaasMethod[], url: "/", handler: handle });
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new OrchestraError("MAAS_NOT_FOUND", "Unknown API endpoint: the path is not valid percent-encoding.");
  }
}

function elapsedMs(started: bigint): number {
  return Number((process.hrtime.bigint() - started) / 1000n) / 1000;
}
