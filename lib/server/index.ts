export { DEFAULT_ENGINE_SWEEP_MS, startServer, type RunningServer, type ServerOptions } from "./orchestra-server.ts";
export { parseListenAddress, type ListenAddress } from "./listen-address.ts";
export { startTimeoutWorker } from "./timeout-worker.ts";
export { startPeriodicWorker, type Worker } from "./periodic-worker.ts";
export { capConnectionsPerSource, DEFAULT_CONNECTION_LIMITS, resolveConnectionLimits, type ConnectionLimits } from "./connection-limits.ts";
export { redactSecretPaths, SECRET_PATH_PREFIXES } from "./log-redaction.ts";
export { createServerLogger } from "./server-logger.ts";
