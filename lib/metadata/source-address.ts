/**
 * @module metadata/source-address
 * Who is asking: the TCP peer's address, never a header. X-Forwarded-For would let any node
 * claim to be any other.
 */
import type { FastifyRequest } from "fastify";

/** The IPv4 address a request came from ("::ffff:a.b.c.d" unwrapped), or "" if unknown. */
export function sourceAddress(request: FastifyRequest): string {
  const address = request.socket.remoteAddress ?? "";
  return address.startsWith("::ffff:") ? address.slice("::ffff:".length) : address;
}
