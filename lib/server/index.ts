export { startServer, type RunningServer, type ServerOptions } from "./orchestra-server.ts";
export { parseListenAddress, type ListenAddress } from "./listen-address.ts";
export { startTimeoutWorker, type Worker } from "./timeout-worker.ts";
