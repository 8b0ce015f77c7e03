/**
 * @module server/connection-limits
 * Time and count limits every HTTP listener gets (EC2 API, boot/metadata, their unix
 * sockets), so one client cannot hold the server's connections: a slow or idle client is
 * cut off, and one source address cannot open more than its share.
 *
 * Node's own defaults leave a listener open to that: no limit on a body that trickles in,
 * headers allowed 60 s and checked only every 30 s (a slow header section was cut after
 * about 90 s), no idle limit at all. Here the header and whole-request limits are checked
 * every second at most, and an idle connection is closed.
 *
 * The defaults leave room for a PXE client on a slow link: the limits bound how long a
 * *request* may take to arrive (a few hundred bytes from iPXE, a report of some KiB from a
 * ramdisk), never how long a response takes to download: a kernel or a root image keeps
 * flowing as long as the client reads, however slowly, without pausing longer than the
 * idle limit.
 */
import type { Server as HttpServer, ServerOptions as HttpServerOptions } from "node:http";
import type { Socket } from "node:net";
import { OrchestraError } from "../errors.ts";

/** The limits of one listener. Times in milliseconds. */
export interface ConnectionLimits {
  /** The whole header section of a request must arrive within this. */
  readonly headersTimeoutMs: number;
  /** The whole request, headers and body, must arrive within this. */
  readonly requestTimeoutMs: number;
  /** A connection on which nothing moves either way for this long is closed. */
  readonly idleTimeoutMs: number;
  /** A kept-alive connection waits this long for its next request. */
  readonly keepAliveTimeoutMs: number;
  /** Open connections one source address may hold at once on one listener. */
  readonly maxConnectionsPerSource: number;
}

/** What `orchestra serve` uses unless told otherwise (README, "Connection limits"). */
export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = {
  headersTimeoutMs: 30_000,
  requestTimeoutMs: 120_000,
  idleTimeoutMs: 60_000,
  keepAliveTimeoutMs: 15_000,
  maxConnectionsPerSource: 64,
};

/** How a listener words an error it answers before any route runs (EC2: XML; boot: JSON). */
export type ConnectionErrorRenderer = (error: OrchestraError) => { status: number; contentType: string; body: string };

/** `limits` completed from the defaults and checked: each time at least 1 ms, the header limit within the request limit. */
export function resolveConnectionLimits(limits: Partial<ConnectionLimits> = {}): ConnectionLimits {
  const resolved = { ...DEFAULT_CONNECTION_LIMITS, ...limits };
  for (const [name, value] of Object.entries(resolved)) {
    if (!Number.isInteger(value) || value < 1) throw new OrchestraError("INVALID_ARGUMENT", `connection limit ${name} must be a whole number of at least 1, not ${value}`, { limit: name });
  }
  if (resolved.headersTimeoutMs > resolved.requestTimeoutMs) {
    throw new OrchestraError("INVALID_ARGUMENT", `the header timeout (${resolved.headersTimeoutMs / 1000} s) cannot be longer than the request timeout (${resolved.requestTimeoutMs / 1000} s)`);
  }
  return resolved;
}

/** Options for `http.createServer` (also fastify's `http` option): the ones that can only be set at creation. */
export function httpServerOptions(limits: ConnectionLimits): HttpServerOptions {
  return {
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    // Node checks the header and request limits on this period (30 s by default): a limit is
    // only as sharp as the check.
    connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs) / 4))),
  };
}

/** The fastify options that put `limits` on the app's own server, with errors worded by `render`. */
export function fastifyConnectionOptions(limits: ConnectionLimits, render: ConnectionErrorRenderer) {
  return {
    http: httpServerOptions(limits),
    // fastify sets these on its server itself, overriding the creation options: give it ours.
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    connectionTimeout: limits.idleTimeoutMs,
    clientErrorHandler: (error: Error & { code?: string }, socket: Socket) => answerClientError(error, socket, render),
  };
}

/** Put `limits` on a plain node server (the unix socket listeners): everything but the per-source cap, which needs an address. */
export function limitHttpServer(server: HttpServer, limits: ConnectionLimits, render: ConnectionErrorRenderer): void {
  server.headersTimeout = limits.headersTimeoutMs;
  server.requestTimeout = limits.requestTimeoutMs;
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
  server.setTimeout(limits.idleTimeoutMs);
  server.on("clientError", (error: Error & { code?: string }, socket: Socket) => answerClientError(error, socket, render));
}

/**
 * Refuse a connection from a source address that already holds `max` open connections on
 * `server`: it is answered 503 (TOO_MANY_CONNECTIONS) and closed before anything is read.
 */
export function capConnectionsPerSource(server: HttpServer, max: number, render: ConnectionErrorRenderer): void {
  const open = new Map<string, number>();
  server.on("connection", (socket: Socket) => {
    const address = socket.remoteAddress;
    if (address === undefined) return;
    const source = address.startsWith("::ffff:") ? address.slice(7) : address;
    const held = open.get(source) ?? 0;
    if (held >= max) {
      writeError(socket, new OrchestraError("TOO_MANY_CONNECTIONS", `${source} has ${held} open connections, the most one source may hold; close one and retry`), render);
      return;
    }
    open.set(source, held + 1);
    socket.once("close", () => {
      const left = (open.get(source) ?? 1) - 1;
      if (left > 0) open.set(source, left);
      else open.delete(source);
    });
  });
}

/** Answer a request node's parser gave up on (timeout, bad syntax, oversized headers) in the listener's own words. */
function answerClientError(error: Error & { code?: string }, socket: Socket, render: ConnectionErrorRenderer): void {
  // A reset or a socket already gone has nobody left to answer.
  if (error.code === "ECONNRESET" || socket.destroyed) return;
  const known =
    error.code === "ERR_HTTP_REQUEST_TIMEOUT"
      ? new OrchestraError("HTTP_REQUEST_TIMEOUT", "The request did not arrive in time; the connection is closed.")
      : error.code === "HPE_HEADER_OVERFLOW"
        ? new OrchestraError("HTTP_HEADERS_TOO_LARGE", "The request's header section is too large.")
        : new OrchestraError("HTTP_MALFORMED_REQUEST", "The HTTP request could not be parsed.");
  writeError(socket, known, render);
}

function writeError(socket: Socket, error: OrchestraError, render: ConnectionErrorRenderer): void {
  const { status, contentType, body } = render(error);
  const reason = { 400: "Bad Request", 408: "Request Timeout", 431: "Request Header Fields Too Large", 503: "Service Unavailable" }[status] ?? "Error";
  // Whatever the client does next (reading or not), the connection is over.
  const close = () => void socket.destroy();
  if (!socket.writable) return close();
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: ${contentType}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`, close);
  setTimeout(close, 1000).unref();
}
