/**
 * @module dashboard/password-hash
 * Operators' passwords at rest: scrypt (node:crypto) with a random salt per password; the
 * parameters travel with the hash so they can be raised later without breaking old ones.
 */
import { randomBytes, scrypt, timingSafeEqual } from "node:crypto";
import { OrchestraError } from "../errors.ts";

const N = 16384;
const R = 8;
const P = 1;
const KEY_LENGTH = 32;

function derive(password: string, salt: Buffer, n: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, KEY_LENGTH, { N: n, r, p, maxmem: 64 * 1024 * 1024 }, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

/** Refuse a password too short to be worth hashing, or too long to be typed (a CPU trap). */
export function checkPassword(password: string): void {
  if (password.length < 8) throw new OrchestraError("INVALID_ARGUMENT", "a password needs at least 8 characters");
  if (password.length > 1024) throw new OrchestraError("INVALID_ARGUMENT", "a password has at most 1024 characters");
}

/** `scrypt$N$r$p$salt$key` (base64url) for `password`. */
export async function hashPassword(password: string): Promise<string> {
  checkPassword(password);
  const salt = randomBytes(16);
  const key = await derive(password, salt, N, R, P);
  return ["scrypt", N, R, P, salt.toString("base64url"), key.toString("base64url")].join("$");
}

/** Whether `password` matches `stored` (constant time over the derived key). */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, key] = stored.split("$");
  if (scheme !== "scrypt" || !salt || !key || password.length > 1024) return false;
  const expected = Buffer.from(key, "base64url");
  const actual = await derive(password, Buffer.from(salt, "base64url"), Number(n), Number(r), Number(p));
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
