/**
 * @module ec2/http/ec2-server
 * The EC2 Query API endpoint as a fastify app: `POST /` (form body) and `GET /` (query
 * string), SigV4 on every request, then dispatch. Every failure, including fastify's own
 * (bad URL, body too large), is answered as AWS error XML; nothing escapes as a bare 500.
 */
import { randomUUID } from "node:crypto";
import { Readable } from "node:stream";
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import type { Logger } from "pino";
import { OrchestraError, isOrchestraError } from "../../errors.ts";
import { parseForm, type FormPair } from "../query/parse-form.ts";
import { readParams } from "../query/read-params.ts";
import { PRESIGN_PARAMETERS, scopedService, verifySigV4, type SecretLookup, type SignedRequest } from "../auth/sigv4.ts";
import { isStreamed, renderError, renderResponse, renderResponseStream, wholeIfSmall } from "../xml/render-xml.ts";
import { EC2_ACTIONS } from "../actions/action-table.ts";
import type { Ec2Action } from "../actions/define-action.ts";
import { runDry } from "../actions/dry-run.ts";
import type { Ec2Services } from "../model/ec2-services.ts";
import { ec2HttpStatus } from "./ec2-status.ts";
import { capConnectionsPerSource, type ConnectionErrorRenderer, type ConnectionLimits, fastifyConnectionOptions, resolveConnectionLimits } from "../../server/connection-limits.ts";
import { STS_ACTIONS, STS_API_VERSION } from "../sts/sts-actions.ts";
import { renderStsError, renderStsResponse } from "../sts/sts-xml.ts";

/** The only API version served. */
export const EC2_API_VERSION = "2016-11-15";
/** The SigV4 services this listener answers: EC2, and the minimal STS beside it. */
const SIGNED_SERVICES = ["ec2", "sts"] as const;
/** Default request body limit: far above any real call (UserData is at most 16 KiB raw). */
export const DEFAULT_BODY_LIMIT = 1024 * 1024;

/** How to build the endpoint. */
export interface Ec2ServerOptions {
  readonly services: Ec2Services;
  readonly lookupSecret: SecretLookup;
  readonly logger?: Logger;
  readonly bodyLimit?: number;
  readonly actions?: ReadonlyMap<string, Ec2Action<any>>;
  readonly now?: () => Date;
  /** Time limits and the per-source connection cap (default: DEFAULT_CONNECTION_LIMITS). */
  readonly limits?: Partial<ConnectionLimits>;
  /** Counts each answered request by action and status (a prom-client registry's metrics). */
  readonly metrics?: { observeRequest(api: string, action: string, code: number, seconds: number): void };
  /** Serve HTTPS with this PEM key and certificate (lib/server/tls-files.ts). */
  readonly https?: { key: string; cert: string };
}

/** The access key id a request names (SigV4 header or presigned query), for logs; undefined if none. */
function accessKeyIdOf(request: FastifyRequest): string | undefined {
  const header = String(request.headers.authorization ?? "");
  const credential = /Credential=([A-Z0-9]{16,128})\//.exec(header)?.[1] ?? /[?&]X-Amz-Credential=([A-Z0-9]{16,128})(%2F|\/)/.exec(request.raw.url ?? "")?.[1];
  return credential;
}

/** Errors answered before any route (parser errors, timeouts, a refused connection): AWS error XML too. */
export const renderEc2ConnectionError: ConnectionErrorRenderer = (error) => ({
  status: ec2HttpStatus(error.code),
  contentType: "text/xml;charset=UTF-8",
  body: renderError(error.ec2Code, error.message, newRequestId()),
});

/**
 * Requests that ran a read-only action (Describe…) to its answer: they changed nothing, so the
 * server does not wake the lifecycle engine after them. A client waiting for its instances asks
 * DescribeInstances again and again, and each call woke a sweep (two queries) for nothing.
 */
const readOnlyAnswers = new WeakSet<FastifyRequest>();

/** Whether `request` ran a read-only EC2 action (Describe…): nothing in the store changed. */
export function answeredReadOnly(request: FastifyRequest): boolean {
  return readOnlyAnswers.has(request);
}

/** Build the EC2 endpoint; the caller listens and closes it. */
export function createEc2Server(options: Ec2ServerOptions): FastifyInstance {
  const actions = options.actions ?? EC2_ACTIONS;
  const log = options.logger;
  const limits = resolveConnectionLimits(options.limits);
  const app = Fastify({
    bodyLimit: options.bodyLimit ?? DEFAULT_BODY_LIMIT,
    logger: false,
    ...(options.https ? { https: options.https } : {}),
    ...fastifyConnectionOptions(limits, renderEc2ConnectionError),
    frameworkErrors: (error, request, reply) => {
      sendError(reply, newRequestId(), new OrchestraError("EC2_MALFORMED_QUERY", `The request is malformed: ${error.message}`), log);
    },
  });
  capConnectionsPerSource(app.server, limits.maxConnectionsPerSource, renderEc2ConnectionError);
  app.removeAllContentTypeParsers();
  const rawBody = (_request: FastifyRequest, body: Buffer, done: (error: Error | null, body?: Buffer) => void) => done(null, body);
  // Every body is taken raw and checked by readBody. The form type is also named: fastify
  // remembers the parser of a named type by the header's text, where the catch-all alone had
  // it parse every request's Content-Type again (a few µs of each call).
  app.addContentTypeParser("application/x-www-form-urlencoded", { parseAs: "buffer" }, rawBody);
  app.addContentTypeParser("*", { parseAs: "buffer" }, rawBody);

  const handle = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    const requestId = newRequestId();
    const started = process.hrtime.bigint();
    let action = "-";
    let account = "-";
    let sts = false;
    let signed: SignedRequest | undefined;
    let verified = false;
    try {
      const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      // Query strings are decoded strictly by parseForm from the raw URL, never by fastify.
      const rawUrl = request.raw.url ?? "/";
      const q = rawUrl.indexOf("?");
      const path = q === -1 ? rawUrl : rawUrl.slice(0, q);
      const query = q === -1 ? [] : parseForm(rawUrl.slice(q + 1));
      signed = { method: request.method, path, query, headers: request.headers, body };
      const caller = await verifySigV4(signed, options.lookupSecret, { region: options.services.topology.region, services: SIGNED_SERVICES, now: options.now });
      verified = true;
      // STS shares the listener: the credential scope's service says which API a request is for.
      sts = caller.service === "sts";
      account = caller.account;
      const pairs = [...query.filter((p) => !PRESIGN_PARAMETERS.has(p.name)), ...readBody(request, body)];
      action = single(pairs, "Action") ?? "";
      const context = { account: caller.account, ownerId: caller.accountId, accessKeyId: caller.accessKeyId, requestId, services: options.services };
      let answered: string;
      if (sts) {
        const found = dispatchTarget(pairs, STS_ACTIONS, STS_API_VERSION);
        const result = await found.run(context, readParams(pairs, found.params));
        reply.status(200).type("text/xml;charset=UTF-8").send(renderStsResponse(found.name, requestId, result));
        answered = found.name;
      } else {
        const found = dispatchTarget(pairs, actions, EC2_API_VERSION);
        const params = readParams(pairs, { ...found.params, DryRun: { kind: "boolean" } as const });
        if (params.DryRun === true) await runDry(found, context, params);
        const result = await found.run(context, params);
        // A streamed answer (DescribeInstances) is written as it is rendered, never held whole, unless it is small.
        const answer = isStreamed(result) ? await wholeIfSmall(renderResponseStream(found.name, requestId, result)) : renderResponse(found.name, requestId, result);
        reply.status(200).type("text/xml;charset=UTF-8").send(typeof answer === "string" || Buffer.isBuffer(answer) ? answer : Readable.from(answer));
        answered = found.name;
        if (found.name.startsWith("Describe")) readOnlyAnswers.add(request);
      }
      const ms = elapsedMs(started);
      log?.info({ requestId, api: sts ? "sts" : "ec2", action, account, status: 200, ms }, "ec2 request");
      options.metrics?.observeRequest(sts ? "sts" : "ec2", answered, 200, ms / 1000);
    } catch (error) {
      // A request refused before its signature was checked is still answered in the format of the service its scope names.
      if (!verified && signed !== undefined) sts = scopedService(signed) === "sts";
      const status = sendError(reply, requestId, error, log, sts);
      const ms = elapsedMs(started);
      // Authentication failures carry their code and the key id they named (never a secret), so an operator can tell a revoked key from a wrong clock.
      const auth = isOrchestraError(error) && ["EC2_AUTH_FAILURE", "EC2_SIGNATURE_MISMATCH", "EC2_MISSING_AUTHENTICATION", "EC2_INCOMPLETE_SIGNATURE", "EC2_REQUEST_EXPIRED"].includes(error.code)
        ? { code: error.code, accessKeyId: accessKeyIdOf(request) }
        : isOrchestraError(error) ? { code: error.code } : {};
      log?.info({ requestId, api: sts ? "sts" : "ec2", action: action.slice(0, 64), account, status, ms, ...auth }, "ec2 request");
      // The action is read only once the request is authenticated: before that it is "unauthenticated".
      options.metrics?.observeRequest(sts ? "sts" : "ec2", actions.has(action) ? action : action === "-" ? "unauthenticated" : "invalid", status, ms / 1000);
    }
    // Returning the reply tells fastify the answer is sent by us, as it goes: without it an async
    // handler that resolves before a streamed body is written ends the response empty.
    return reply;
  };
  app.post("/", handle);
  app.get("/", handle);
  app.setNotFoundHandler((request, reply) => {
    sendError(reply, newRequestId(), new OrchestraError("EC2_INVALID_ACTION", "The EC2 API is served at POST / and GET / only."), log);
  });
  app.setErrorHandler((error, _request, reply) => {
    const code = (error as { code?: string }).code;
    const mapped =
      code === "FST_ERR_CTP_BODY_TOO_LARGE"
        ? new OrchestraError("EC2_REQUEST_TOO_LARGE", `The request body is over ${options.bodyLimit ?? DEFAULT_BODY_LIMIT} bytes.`)
        : code?.startsWith("FST_ERR_CTP") || (error as { statusCode?: number }).statusCode === 400
          ? new OrchestraError("EC2_MALFORMED_QUERY", "The request body could not be read.")
          : error;
    sendError(reply, newRequestId(), mapped, log);
  });
  return app;
}

function readBody(request: FastifyRequest, body: Buffer): FormPair[] {
  if (body.length === 0) return [];
  const type = String(request.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
  if (type !== "application/x-www-form-urlencoded") {
    throw new OrchestraError("EC2_MALFORMED_QUERY", "The body must be application/x-www-form-urlencoded.");
  }
  return parseForm(body);
}

function dispatchTarget(pairs: readonly FormPair[], actions: ReadonlyMap<string, Ec2Action<any>>, apiVersion: string): Ec2Action<any> {
  const name = single(pairs, "Action");
  if (name === undefined || name === "") throw new OrchestraError("EC2_MISSING_ACTION", "The request must contain the parameter Action.");
  const action = actions.get(name);
  if (!action) throw new OrchestraError("EC2_INVALID_ACTION", `The action ${name.slice(0, 64)} is not valid for this web service.`);
  const version = single(pairs, "Version");
  if (version === undefined) throw new OrchestraError("EC2_NO_SUCH_VERSION", `The request must contain the parameter Version (${apiVersion}).`);
  if (version !== apiVersion) throw new OrchestraError("EC2_NO_SUCH_VERSION", `The API version ${version.slice(0, 32)} is not supported; use ${apiVersion}.`);
  return action;
}

/** The value of a parameter that may appear once at most. */
function single(pairs: readonly FormPair[], name: string): string | undefined {
  let found: string | undefined;
  for (const pair of pairs) {
    if (pair.name !== name) continue;
    if (found !== undefined) throw new OrchestraError("EC2_DUPLICATE_PARAMETER", `The parameter ${name} is given more than once.`, { parameter: name });
    found = pair.value;
  }
  return found;
}

function sendError(reply: FastifyReply, requestId: string, error: unknown, log: Logger | undefined, sts = false): number {
  let known: OrchestraError;
  if (isOrchestraError(error)) known = error;
  else {
    log?.error({ requestId, err: error }, "ec2 request failed unexpectedly");
    known = new OrchestraError("INTERNAL", "An internal error has occurred.");
  }
  // STS names an unknown access key InvalidClientTokenId where EC2 says AuthFailure.
  if (sts && known.code === "EC2_AUTH_FAILURE") known = new OrchestraError("STS_INVALID_CLIENT_TOKEN", "The security token included in the request is invalid.");
  const status = ec2HttpStatus(known.code);
  const body = sts ? renderStsError(known.ec2Code, known.message, requestId, status) : renderError(known.ec2Code, known.message, requestId);
  reply.status(status).type("text/xml;charset=UTF-8").send(body);
  return status;
}

function newRequestId(): string {
  return randomUUID();
}

function elapsedMs(started: bigint): number {
  return Number((process.hrtime.bigint() - started) / 1000n) / 1000;
}
