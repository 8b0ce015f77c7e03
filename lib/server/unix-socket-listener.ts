/**
 * @module server/unix-socket-listener
 * A second listener for a fastify app on a unix socket. A socket path is reachable from
 * every network namespace, so the lab publishes services that live inside its namespace
 * on the host's loopback through one (see lib/lab/loopback-relay.ts).
 */
import { rm } from "node:fs/promises";
import { createServer } from "node:http";
import type { FastifyInstance } from "fastify";
import { type ConnectionErrorRenderer, type ConnectionLimits, httpServerOptions, limitHttpServer } from "./connection-limits.ts";

/** A listener that can be closed, dropping its open connections. */
export interface SocketListener {
  close(): Promise<void>;
}

/** Serve the (ready) `app` on the unix socket `path` too, replacing a stale socket file, with the app's time limits. */
export async function listenOnUnixSocket(app: FastifyInstance, path: string, limits: ConnectionLimits, render: ConnectionErrorRenderer): Promise<SocketListener> {
  await rm(path, { force: true });
  const server = createServer(httpServerOptions(limits), (request, response) => app.routing(request, response));
  limitHttpServer(server, limits, render);
  await new Promise<void>((resolve, reject) => server.once("error", reject).listen(path, resolve));
  return {
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}
