/**
 * @module store/random-pool
 * Random bytes for ids, tokens and IVs, drawn from a buffer filled by the CSPRNG 4 KiB at a
 * time. A RunInstances of one instance asked `randomBytes` seven times (the instance and
 * reservation ids, the deploy token, the NoCloud secret, three AES-GCM IVs), each a call into
 * OpenSSL's generator with its fork check (a getpid system call): about 3 % of the launch's
 * CPU (tests/bench/http-floor.ts). Node pools randomUUID's bytes the same way. Each byte is
 * handed out once: a drawn range is never refilled, a new buffer replaces a spent one.
 */
import { randomBytes } from "node:crypto";

const POOL_BYTES = 4096;
/** Larger asks go to the generator directly: they are rare, and would drain the pool. */
const MAX_DRAW = 64;

let pool = Buffer.alloc(0);
let used = 0;

/** `size` random bytes (a view of the pool: read it, don't keep writing to it). */
export function randomPoolBytes(size: number): Buffer {
  if (size > MAX_DRAW) return randomBytes(size);
  if (used + size > pool.length) {
    pool = randomBytes(POOL_BYTES);
    used = 0;
  }
  const bytes = pool.subarray(used, used + size);
  used += size;
  return bytes;
}
