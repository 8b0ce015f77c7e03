/**
 * @module boot/request-base-url
 * The base URL a node used to reach the boot listener, so that what we hand it (boot
 * scripts, deploy plans, seed files) points back the same way.
 */
import type { FastifyRequest } from "fastify";

/** `http://host:port` as the request named it. */
export function requestBaseUrl(request: FastifyRequest): string {
  return `${request.protocol}://${request.host}`;
}
