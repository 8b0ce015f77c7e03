/**
 * @module metadata/nocloud-secret
 * The secret path segment of a deployment's NoCloud URL: whoever knows it may read that
 * deployment's seed, so it is long, random and checked for shape before any lookup.
 */
import { randomPoolBytes } from "../store/random-pool.ts";

// At most 96: fastify matches a path parameter of up to 100 characters (its maxParamLength).
const SHAPE = /^[A-Za-z0-9_-]{32,96}$/;

/** A new secret: 32 random bytes, base64url (43 characters). */
export function newNocloudSecret(): string {
  return randomPoolBytes(32).toString("base64url");
}

/** Whether `text` has the shape of a NoCloud secret. */
export function isNocloudSecret(text: string): boolean {
  return SHAPE.test(text);
}
