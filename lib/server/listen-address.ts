/**
 * @module server/listen-address
 * HOST:PORT parsing for the server's listeners (`--boot-listen 0.0.0.0:5248`).
 */
import { OrchestraError } from "../errors.ts";

/** A host and port to listen on. */
export interface ListenAddress {
  host: string;
  port: number;
}

/** Parse "HOST:PORT" (IPv6 as "[::1]:PORT"); port 0 picks a free port. */
export function parseListenAddress(text: string, option = "listen address"): ListenAddress {
  const match = /^(?:\[([0-9a-f:.]+)\]|([a-z0-9.-]+)):(\d{1,5})$/i.exec(typeof text === "string" ? text : "");
  const port = match ? Number(match[3]) : NaN;
  if (!match || port > 65535) {
    throw new OrchestraError("INVALID_ARGUMENT", `invalid ${option} ${JSON.stringify(text)}: expected HOST:PORT, e.g. 0.0.0.0:5248 or [::1]:5248`, { option });
  }
  return { host: (match[1] ?? match[2])!, port };
}
