/**
 * @module inventory/ids
 * Identifiers. A machine's system id names the hardware for its whole life; an instance id
 * (EC2's `i-` + 17 hex) names one allocation of it. They are never the same thing.
 */
import { randomBytes } from "node:crypto";
import { randomPoolBytes } from "../store/random-pool.ts";

// No vowels and no look-alikes (0/o, 1/l): a system id never spells a word or misreads.
const SYSTEM_ID_ALPHABET = "bcdfghjkmnpqrstvwxyz23456789";

/** A new random system id, six characters (MAAS-like, e.g. "k7dq3m"). */
export function newSystemId(): string {
  const bytes = randomBytes(6);
  return Array.from(bytes, (b) => SYSTEM_ID_ALPHABET[b % SYSTEM_ID_ALPHABET.length]).join("");
}

/** A new random EC2 instance id: "i-" and 17 hex digits. */
export function newInstanceId(): string {
  return `i-${randomPoolBytes(9).toString("hex").slice(0, 17)}`;
}

/** Whether `text` has the shape of an instance id. */
export function isInstanceId(text: string): boolean {
  return /^i-[0-9a-f]{17}$/.test(text);
}
