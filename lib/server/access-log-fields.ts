/**
 * @module server/access-log-fields
 * What a route adds to its request's one access-log line (orchestra-server.ts writes it once
 * the answer is sent), instead of a line of its own: a boot script said which machine and
 * branch in a second line, two writes a request where one does (each about 20 µs of the
 * server's thread, tests/bench/deploy-overhead.ts), and twice the lines in a boot storm.
 */
import type { FastifyRequest } from "fastify";

const fields = new WeakMap<FastifyRequest, Readonly<Record<string, unknown>>>();

/** Put `more` on `request`'s access-log line (merged over what an earlier call put). */
export function addAccessLogFields(request: FastifyRequest, more: Readonly<Record<string, unknown>>): void {
  fields.set(request, { ...fields.get(request), ...more });
}

/** What the route added, if anything. */
export function accessLogFields(request: FastifyRequest): Readonly<Record<string, unknown>> | undefined {
  return fields.get(request);
}
