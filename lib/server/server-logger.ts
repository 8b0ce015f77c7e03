/**
 * @module server/server-logger
 * The logger `orchestra serve` writes with: pino, JSON lines, every line passed through the
 * secret redaction (./log-redaction.ts) on its way out, whoever wrote it.
 */
import { pino, type DestinationStream, type Logger } from "pino";
import { redactSecretPaths } from "./log-redaction.ts";

/**
 * Where serve's JSON lines go: `dest` (a file descriptor or a file's path), each line written
 * when it is logged, synchronously, as Node itself writes stderr to pipes, files and
 * terminals on Linux. pino's default (an asynchronous write per line through libuv's pool
 * when lines come one at a time, as a server's do) cost the server's thread about 60 µs a
 * line against about 20 written synchronously: 0.4 ms of a deployment's ten lines
 * (tests/bench/deploy-overhead.ts, measured back to back).
 */
export function serverLogDestination(dest: number | string): DestinationStream {
  return pino.destination({ dest, sync: true });
}

/** A logger at `level` writing to `destination` (default: stderr), secrets in paths redacted. */
export function createServerLogger(level: string, destination: DestinationStream = serverLogDestination(2)): Logger {
  return pino({ level, hooks: { streamWrite: redactSecretPaths } }, destination);
}
