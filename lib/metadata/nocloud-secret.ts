/**
 * @module metadata/nocloud-secret
 * The secret path segment of a deployment's NoCloud URL: whoever knows it may read that
 * deployment's seed, so it is long, random and checked for shape before any lookup.
 */
import { randomBytes } from "node:crypto";

const SHAPE = /^[A-Za-z0-9_-]{32,128}$/;

/** A new secret: 32 random bytes, base64url (43 characters). */
export function newNocloudSecret(): string {
  return randomBytes(32).toString("base64url");
}

/** Whether `text` has the shape of a NoCloud secret. */
export function isNocloudSecret(text: string): boolean {
  return SHAPE.test(text);
}
