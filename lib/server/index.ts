export { DEFAULT_ENGINE_SWEEP_MS, startServer, type RunningServer, type ServerOptions } from "./orchestra-server.ts";
export { parseListenAddress, type ListenAddress } from "./listen-address.ts";
export { startTimeoutWorker } from "./timeout-worker.ts";
export { startPeriodicWorker, type Worker } from "./periodic-worker.ts";
