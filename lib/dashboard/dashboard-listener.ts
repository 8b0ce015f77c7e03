/**
 * @module dashboard/dashboard-listener
 * The dashboard's own listener (5240 by default, MAAS's UI port), over HTTP or HTTPS. With
 * HTTPS, a second plain-HTTP listener may answer every request with a redirect to it, so an
 * operator who types http:// lands on the TLS page and no cookie ever travels in the clear.
 */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from "fastify";
import type { Logger } from "pino";
import type { ListenAddress } from "../server/listen-address.ts";
import { capConnectionsPerSource, type ConnectionErrorRenderer, type ConnectionLimits, fastifyConnectionOptions } from "../server/connection-limits.ts";
import { registerDashboard } from "./dashboard-routes.ts";
import type { DashboardApiServices } from "./dashboard-api.ts";

/** The listener's settings. */
export interface DashboardListenerOptions {
  listen: ListenAddress;
  /** Serve HTTPS with this PEM key and certificate chain. */
  tls?: { key: string; cert: string };
  /** With tls: also listen here over plain HTTP, redirecting everything to the HTTPS listener. */
  redirectFrom?: ListenAddress;
  services: Omit<DashboardApiServices, "secureCookies">;
  logger: Logger;
  limits: ConnectionLimits;
}

/** A running dashboard. */
export interface DashboardListener {
  readonly address: ListenAddress;
  readonly redirectAddress?: ListenAddress;
  close(): Promise<void>;
}

const renderError: ConnectionErrorRenderer = (error) => ({ status: error.status, contentType: "application/json", body: JSON.stringify({ error: { code: error.code, message: error.message } }) });

function bound(app: FastifyInstance): ListenAddress {
  const address = app.server.address();
  if (address === null || typeof address === "string") throw new Error("listener has no TCP address");
  return { host: address.address, port: address.port };
}

/** Start the dashboard; `close()` stops it. */
export async function startDashboard(options: DashboardListenerOptions): Promise<DashboardListener> {
  const logger = options.logger.child({ service: "dashboard" }) as FastifyBaseLogger;
  const connection = fastifyConnectionOptions(options.limits, renderError);
  const app = options.tls
    ? Fastify({ loggerInstance: logger, bodyLimit: 64 * 1024, logController: new LogController({ disableRequestLogging: true }), forceCloseConnections: true, ...connection, https: { key: options.tls.key, cert: options.tls.cert } })
    : Fastify({ loggerInstance: logger, bodyLimit: 64 * 1024, logController: new LogController({ disableRequestLogging: true }), forceCloseConnections: true, ...connection });
  capConnectionsPerSource(app.server, options.limits.maxConnectionsPerSource, renderError);
  await registerDashboard(app as unknown as FastifyInstance, { ...options.services, secureCookies: options.tls !== undefined });
  let redirect: FastifyInstance | undefined;
  try {
    await app.listen({ host: options.listen.host, port: options.listen.port });
    if (options.tls && options.redirectFrom) {
      const httpsPort = bound(app as unknown as FastifyInstance).port;
      redirect = Fastify({ loggerInstance: logger, logController: new LogController({ disableRequestLogging: true }), ...connection });
      redirect.all("/*", async (request, reply) => {
        // The Host header names where the operator reached us; only its host part is kept.
        const host = (request.headers.host ?? options.listen.host).replace(/:\d+$/, "").replace(/[^A-Za-z0-9.:[\]-]/g, "");
        return reply.code(308).header("location", `https://${host}:${httpsPort}${request.url.startsWith("/") ? request.url : "/"}`).send();
      });
      await redirect.listen({ host: options.redirectFrom.host, port: options.redirectFrom.port });
    }
  } catch (error) {
    await Promise.all([app.close(), redirect?.close()]);
    throw error;
  }
  return {
    address: bound(app as unknown as FastifyInstance),
    ...(redirect ? { redirectAddress: bound(redirect) } : {}),
    async close() {
      options.services.changes.close();
      await Promise.all([app.close(), redirect?.close()]);
    },
  };
}
