/**
 * @module boot/request-base-url
 * The base URL put into what the boot listener hands a node (boot scripts, deploy plans,
 * seed files). It comes from configuration (`--boot-url`, or the address `orchestra serve`
 * knows it has on the provisioning network) or from the local address of the connection the
 * request arrived on: never from the Host header, which whoever asks writes as they like.
 */
import { isIPv6 } from "node:net";
import type { FastifyRequest } from "fastify";
import { OrchestraError } from "../errors.ts";

/** What a URL put into a boot script may hold: no iPXE or shell metacharacter, no space. */
const SAFE_BASE_URL = /^https?:\/\/[A-Za-z0-9.:[\]_~%/-]+$/;

/** A Host header of a name or address and an optional port; anything else is refused. */
const HOST_HEADER = /^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252})|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?$/;

/** Check a configured base URL (`--boot-url`); answers it without a trailing slash. */
export function checkBootBaseUrl(value: string, option = "--boot-url"): string {
  const trimmed = value.replace(/\/+$/, "");
  if (!SAFE_BASE_URL.test(trimmed)) throw new OrchestraError("INVALID_ARGUMENT", `invalid ${option} ${JSON.stringify(value)}: expected an http(s) URL such as http://192.0.2.1:5248`);
  return trimmed;
}

/**
 * Refuse a request whose Host header is not a host name or address with an optional port
 * (a space, `$`, `'`, `#`, `\`…): a clear 400, before any route runs.
 */
export function checkHostHeader(request: FastifyRequest): void {
  const host = request.headers.host;
  if (host === undefined || host === "") return;
  if (!HOST_HEADER.test(host)) throw new OrchestraError("INVALID_ARGUMENT", "the Host header is not a host name or address with an optional port");
}

/**
 * `http://host:port` for `request`: `configured` when given, else the address and port the
 * connection arrived on (what the node dialled), else `http://localhost` (a unix socket or an
 * injected test request has no TCP address).
 */
export function requestBaseUrl(request: FastifyRequest, configured?: string): string {
  if (configured) return configured;
  const socket = request.raw.socket as { localAddress?: string; localPort?: number } | undefined;
  const address = socket?.localAddress;
  if (!address || socket?.localPort === undefined) return "http://localhost";
  const mapped = address.startsWith("::ffff:") && !isIPv6(address.slice(7)) ? address.slice(7) : address;
  return `http://${isIPv6(mapped) ? `[${mapped}]` : mapped}:${socket.localPort}`;
}
