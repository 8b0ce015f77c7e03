/**
 * @module server/server-logger
 * The logger `orchestra serve` writes with: pino, JSON lines, every line passed through the
 * secret redaction (./log-redaction.ts) on its way out, whoever wrote it.
 */
import { pino, type DestinationStream, type Logger } from "pino";
import { redactSecretPaths } from "./log-redaction.ts";

/** A logger at `level` writing to `destination` (default: stderr), secrets in paths redacted. */
export function createServerLogger(level: string, destination: DestinationStream = pino.destination(2)): Logger {
  return pino({ level, hooks: { streamWrite: redactSecretPaths } }, destination);
}
