/**
 * @module ec2/credentials/access-key
 * New access key ids and secrets in AWS's shapes, so clients that check formats accept them.
 */
import { randomBytes } from "node:crypto";

const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/** An access key id: `AKIA` and 16 base-32 characters, as AWS issues. */
export function newAccessKeyId(): string {
  const bytes = randomBytes(16);
  let id = "AKIA";
  for (const b of bytes) id += BASE32[b & 31];
  return id;
}

/** A 40-character secret with 240 bits of randomness. */
export function newSecretAccessKey(): string {
  return randomBytes(30).toString("base64").replaceAll("+", "0").replaceAll("/", "1");
}

/** Whether a string looks like an access key id Orchestra issues. */
export function isAccessKeyId(value: string): boolean {
  return /^AKIA[A-Z2-7]{16}$/.test(value);
}
