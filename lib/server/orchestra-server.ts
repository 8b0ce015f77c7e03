/**
 * @module server/orchestra-server
 * Assembles the long-running server: the HTTP services and the background workers, over
 * one inventory. `orchestra serve` is a thin shell around `startServer`.
 */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyRequest } from "fastify";
import type { Logger } from "pino";
import { checkBootImages, reportPreflight } from "../boot/boot-preflight.ts";
import { type BootServiceOptions, registerBootService } from "../boot/boot-service.ts";
import type { DhcpServiceSettings } from "../boot/dhcp-service.ts";
import type { DnsmasqSupervisor } from "../boot/dnsmasq-process.ts";
import { OrchestraError } from "../errors.ts";
import type { Inventory } from "../inventory/inventory.ts";
import type { CredentialStore } from "../ec2/credentials/credential-store.ts";
import { answeredReadOnly, createEc2Server, renderEc2ConnectionError } from "../ec2/http/ec2-server.ts";
import { maasApi, MAAS_API_PATH, storeMaasImages, type MaasKeyStore, type MaasServices } from "../maas/index.ts";
import { storeImageSource } from "../ec2/model/image-source.ts";
import { fileConsoleLogs } from "../deploy/console-log.ts";
import type { Ec2Topology } from "../ec2/model/ec2-services.ts";
import { autosignRoute } from "../puppet/autosign-route.ts";
import { metadataService } from "../metadata/metadata-service.ts";
import type { MetadataSource } from "../metadata/metadata-source.ts";
import { StoreMetadataSource } from "../metadata/store-metadata-source.ts";
import type { ListenAddress } from "./listen-address.ts";
import type { LifecycleEngine } from "../engine/lifecycle-engine.ts";
import type { NodeSetup } from "../managed/node-setup.ts";
import { startPeriodicWorker, type Worker } from "./periodic-worker.ts";
import { registerMetrics, type OrchestraMetrics } from "./metrics.ts";
import { registerSimplestreams } from "../images/simplestreams-routes.ts";
import { startTimeoutWorker } from "./timeout-worker.ts";
import type { FanoutService, FanoutServiceOptions } from "./fanout-service.ts";
import { listenOnUnixSocket, type SocketListener } from "./unix-socket-listener.ts";
import { accessLogFields } from "./access-log-fields.ts";
import { redactSecretPaths } from "./log-redaction.ts";
import { lazyChildLoggerFactory } from "./lazy-request-logger.ts";
import { startDashboard, type DashboardListener, type DashboardListenerOptions } from "../dashboard/dashboard-listener.ts";
import { capConnectionsPerSource, type ConnectionErrorRenderer, type ConnectionLimits, fastifyConnectionOptions, resolveConnectionLimits } from "./connection-limits.ts";

/** How often the lifecycle engine sweeps for pending power steps unless told otherwise (what `orchestra serve` uses). */
export const DEFAULT_ENGINE_SWEEP_MS = 2000;

/** Connections the boot listener's kernel queue holds before they are accepted. */
export const BOOT_LISTEN_BACKLOG = 4096;

/** What the server needs. */
export interface ServerOptions {
  inventory: Inventory;
  logger: Logger;
  /** Where the server's parts count requests and power steps; /metrics serves it. */
  metrics?: OrchestraMetrics;
  /** The boot/metadata/enlistment HTTP listener (5248 by default); also serves /healthz. */
  bootListen: ListenAddress;
  /** Seconds between two sweeps for machines stuck past their state's timeout. */
  timeoutSweepSeconds?: number;
  /** The lifecycle engine that powers machines as they change state; omitted, nothing is powered. */
  engine?: { engine: LifecycleEngine; sweepMs?: number };
  /** The metadata service on the boot listener: its source (default: the store) and whether IMDSv2 is required. */
  metadata?: { source?: MetadataSource; requireToken?: boolean; renewNodeCertificate?: (instanceId: string, csrPem: string) => Promise<{ certPem: string; renewed: boolean }> };
  /** The EC2 API listener (8773 by default), its access keys, the region it presents, and the vendor-data new instances get. */
  ec2?: { listen: ListenAddress; credentials: CredentialStore; topology: Ec2Topology; vendorData?: string; maasKeys?: MaasKeyStore; nodeSetup?: NodeSetup; tls?: { key: string; cert: string } };
  /** More periodic jobs (GitHub refreshes), each run now and then every intervalMs. */
  jobs?: readonly { name: string; intervalMs: number; run(): Promise<void> }[];
  /** The data directory: boot images live there, and dnsmasq's files when DHCP is managed. */
  dataDir: string;
  /** Boot service settings (enlistment policy, kernel arguments). */
  boot?: Omit<BootServiceOptions, "dataDir" | "inventory">;
  /** Run dnsmasq as a supervised child with these settings; omit when systemd (the charm) runs it. */
  dhcp?: DhcpServiceSettings;
  /** Also serve the boot listener on this unix socket (the lab publishes it on the host's loopback). */
  bootSocket?: string;
  /** Also serve the EC2 API on this unix socket (likewise). */
  apiSocket?: string;
  /** Time limits and the per-source connection cap of every listener (default: DEFAULT_CONNECTION_LIMITS). */
  connectionLimits?: Partial<ConnectionLimits>;
  /** Image fan-out: the tracker process and the seeders (./fanout-service.ts); plans get torrents through `boot.fanout`. */
  fanout?: Omit<FanoutServiceOptions, "dataDir" | "inventory" | "logger">;
  /** The web dashboard's listener (lib/dashboard); omitted, there is none. */
  dashboard?: Omit<DashboardListenerOptions, "logger" | "limits">;
}

/** The boot listener's errors before any route: the same JSON its routes answer with. */
const renderBootConnectionError: ConnectionErrorRenderer = (error) => ({
  status: error.status,
  contentType: "application/json",
  body: JSON.stringify({ error: { code: error.code, message: error.message } }),
});

/** A running server. */
export interface RunningServer {
  /** The address each listener is bound to (with the real port when 0 was asked). */
  readonly addresses: { boot: ListenAddress; ec2?: ListenAddress; dashboard?: ListenAddress; dashboardRedirect?: ListenAddress };
  /** Stop the listeners and workers; resolves once everything has stopped. */
  close(): Promise<void>;
}

/** Whether `log` writes info lines (a logger that cannot say is taken to). */
function writesInfo(log: FastifyBaseLogger): boolean {
  return (log as { isLevelEnabled?(level: string): boolean }).isLevelEnabled?.("info") ?? true;
}

/** One access-log line per request, its URL's secret segments redacted; a failure with its error too. */
function logRequestsRedacted(app: FastifyInstance): void {
  // A callback hook, not an async one: no promise per request. A route that logs at warn
  // (secrets in its URL, or polled: most of a deployment's calls) writes no line, so the
  // line's fields are not even gathered for it.
  app.addHook("onResponse", (request, reply, done) => {
    if (writesInfo(request.log)) request.log.info({ method: request.method, url: redactSecretPaths(request.url), status: reply.statusCode, source: request.ip, ms: Math.round(reply.elapsedTime), ...accessLogFields(request) }, "request");
    done();
  });
  app.addHook("onError", async (request, reply, error) => {
    if (reply.statusCode >= 500) request.log.error({ method: request.method, url: redactSecretPaths(request.url), err: error }, "request failed");
  });
}

function boundAddress(app: Pick<FastifyInstance, "server">): ListenAddress {
  const address = app.server.address();
  if (address === null || typeof address === "string") throw new Error("listener has no TCP address");
  return { host: address.address, port: address.port };
}

/** Start every service and worker; the caller stops them with `close()`. */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const { inventory, logger } = options;
  const limits = resolveConnectionLimits(options.connectionLimits);
  // Fastify's own request lines print the raw URL; this listener writes its own, redacted.
  const boot = Fastify({
    loggerInstance: logger.child({ service: "boot" }) as FastifyBaseLogger,
    bodyLimit: 64 * 1024,
    logController: new LogController({ disableRequestLogging: true }),
    // Each request's child logger is made only when it writes a line (./lazy-request-logger.ts).
    childLoggerFactory: lazyChildLoggerFactory,
    ...fastifyConnectionOptions(limits, renderBootConnectionError),
  });
  logRequestsRedacted(boot);
  capConnectionsPerSource(boot.server, limits.maxConnectionsPerSource, renderBootConnectionError);
  // Health checks and scrapes come every few seconds: logged only when they fail.
  boot.get("/healthz", { logLevel: "warn" }, async () => {
    // A health check that touches the store: a server whose database is gone is not healthy.
    await inventory.db.get("SELECT 1 AS ok");
    return { status: "ok" };
  });
  registerMetrics(boot, inventory.db, options.metrics);
  // A write through the API (RunInstances, a deploy report, an enlistment) wakes the lifecycle
  // engine at once instead of leaving its power step to the next sweep. Set once the engine runs.
  // A route that can never give the engine work (a deployment's progress, report and booted
  // calls: no state they lead to has a power step) says so with `config: { wakesEngine: false }`;
  // each wake-up is a sweep's two queries, three times a deployment for nothing.
  // The onResponse hooks run on every request: callbacks, not async functions (no promise each).
  let wakeEngine = () => {};
  const wakeOnWrite = (request: FastifyRequest) => {
    if (request.method === "GET" || request.method === "HEAD") return;
    if ((request.routeOptions.config as { wakesEngine?: boolean } | undefined)?.wakesEngine === false) return;
    wakeEngine();
  };
  const metrics = options.metrics;
  boot.addHook("onResponse", (request, reply, done) => {
    wakeOnWrite(request);
    metrics?.observeBootResponse(request.routeOptions.url ?? "unmatched", request.query, reply.statusCode, reply.elapsedTime / 1000);
    done();
  });
  let dnsmasq: DnsmasqSupervisor | undefined;
  const sockets: SocketListener[] = [];
  let ec2: FastifyInstance | undefined;
  let dashboard: DashboardListener | undefined;
  let fanout: FanoutService | undefined;
  try {
    await registerBootService(boot, { ...options.boot, dataDir: options.dataDir, inventory });
    // Juju's image metadata (image-metadata-url = this listener), as `orchestra images simplestreams` wrote it.
    await registerSimplestreams(boot, options.dataDir);
    await boot.register(autosignRoute, { db: inventory.db });
    await boot.register(metadataService, {
      source: options.metadata?.source ?? new StoreMetadataSource(inventory.db),
      requireToken: options.metadata?.requireToken ?? false,
      ...(options.metadata?.renewNodeCertificate ? { renewNodeCertificate: options.metadata.renewNodeCertificate } : {}),
    });
    if (reportPreflight(await checkBootImages(options.dataDir), logger)) {
      throw new OrchestraError("BOOT_FILE_MISSING", "boot images are damaged (see the log above); re-import or remove them before serving");
    }
    // The DHCP and fan-out services are loaded only when asked for: each supervises a child
    // process through execa (110 modules, about 3 MiB of heap) that a server without them
    // never loads (tests/bench/boot-http.ts measures serve's memory).
    if (options.dhcp) dnsmasq = await (await import("../boot/dhcp-service.ts")).startDhcpService(options.dataDir, options.dhcp, logger);
    // A hall of machines powering on connects within a second: with node's default backlog
    // (511) the kernel dropped the rest of the storm's connections, which iPXE then retried
    // 10 s later (tests/bench/enlist-storm.ts). The kernel caps it at net.core.somaxconn.
    await boot.listen({ host: options.bootListen.host, port: options.bootListen.port, backlog: BOOT_LISTEN_BACKLOG });
    if (options.bootSocket) sockets.push(await listenOnUnixSocket(boot, options.bootSocket, limits, renderBootConnectionError));
    if (options.ec2) {
      const { credentials, topology, vendorData, nodeSetup } = options.ec2;
      ec2 = createEc2Server({
        services: { topology, db: inventory.db, inventory, credentials, now: () => new Date(), images: storeImageSource(options.dataDir), consoles: fileConsoleLogs(options.dataDir), ...(vendorData ? { vendorData } : {}), ...(nodeSetup ? { nodeSetup } : {}) },
        lookupSecret: credentials.lookup,
        logger: logger.child({ service: "ec2" }),
        limits,
        ...(options.metrics ? { metrics: options.metrics } : {}),
        ...(options.ec2.tls ? { https: options.ec2.tls } : {}),
      });
      // A Describe… call changed nothing: a client polling DescribeInstances wakes no sweep.
      ec2.addHook("onResponse", (request, _reply, done) => {
        if (!answeredReadOnly(request)) wakeOnWrite(request);
        done();
      });
      // The MAAS API shares the EC2 listener (one port, one inventory) when it has keys to check.
      if (options.ec2.maasKeys) {
        const maasServices: MaasServices = { db: inventory.db, inventory, lookupKey: options.ec2.maasKeys.lookup, topology, images: storeMaasImages(options.dataDir), consoles: fileConsoleLogs(options.dataDir), now: () => new Date(), ...(vendorData ? { vendorData } : {}) };
        await ec2.register(maasApi, { prefix: MAAS_API_PATH, services: maasServices, logger: logger.child({ service: "maas" }) });
      }
      await ec2.listen({ host: options.ec2.listen.host, port: options.ec2.listen.port });
      if (options.apiSocket) sockets.push(await listenOnUnixSocket(ec2, options.apiSocket, limits, renderEc2ConnectionError));
    }
    if (options.dashboard) dashboard = await startDashboard({ ...options.dashboard, logger, limits });
    if (options.fanout) fanout = await (await import("./fanout-service.ts")).startFanoutService({ ...options.fanout, dataDir: options.dataDir, inventory, logger });
  } catch (error) {
    await fanout?.close();
    // Nothing half-started stays behind: no dnsmasq child, no open listener.
    await dnsmasq?.stop();
    await Promise.all(sockets.map((socket) => socket.close()));
    await Promise.all([boot.close(), ec2?.close(), dashboard?.close()]);
    throw error;
  }
  const workers: Worker[] = [startTimeoutWorker(inventory, logger, (options.timeoutSweepSeconds ?? 10) * 1000)];
  if (options.engine) {
    const { engine, sweepMs } = options.engine;
    const worker = startPeriodicWorker("lifecycle engine", async () => void (await engine.sweep()), logger, sweepMs ?? DEFAULT_ENGINE_SWEEP_MS);
    workers.push(worker);
    wakeEngine = worker.wake;
  }
  for (const job of options.jobs ?? []) workers.push(startPeriodicWorker(job.name, job.run, logger, job.intervalMs));
  const addresses = {
    boot: boundAddress(boot),
    ...(ec2 ? { ec2: boundAddress(ec2) } : {}),
    ...(dashboard ? { dashboard: dashboard.address } : {}),
    ...(dashboard?.redirectAddress ? { dashboardRedirect: dashboard.redirectAddress } : {}),
  };
  logger.info({ ...addresses, bootSocket: options.bootSocket, apiSocket: options.apiSocket, dnsmasqPid: dnsmasq?.pid(), fanoutTrackerPid: fanout?.trackerPid }, "orchestra serving");
  return {
    addresses,
    async close() {
      await Promise.all(workers.map((w) => w.stop()));
      await fanout?.close();
      await dnsmasq?.stop();
      await Promise.all(sockets.map((socket) => socket.close()));
      await Promise.all([boot.close(), ec2?.close(), dashboard?.close()]);
    },
  };
}
