/**
 * @module deploy/deploy-token
 * A deployment's secret. It travels on the deploy ramdisk's kernel command line (so only
 * iPXE-safe characters) and in the paths the node calls back on.
 */
import { randomPoolBytes } from "../store/random-pool.ts";

const SHAPE = /^[A-Za-z0-9_-]{32}$/;

/** A new token: 24 random bytes, base64url (32 characters). */
export function newDeployToken(): string {
  return randomPoolBytes(24).toString("base64url");
}

/** Whether `text` has the shape of a deploy token (checked before any lookup). */
export function isDeployToken(text: string): boolean {
  return SHAPE.test(text);
}
