/**
 * @module boot/rate-limiter
 * A token bucket per source address, with a bounded number of sources so that a flood of
 * spoofed addresses costs memory it cannot grow.
 */

/** How many requests a source may make: `burst` at once, refilled at `perMinute`. */
export interface RateLimit {
  readonly perMinute: number;
  readonly burst: number;
  readonly maxSources?: number;
}

/** Per-source token buckets. */
export class RateLimiter {
  readonly #limit: RateLimit;
  readonly #buckets = new Map<string, { tokens: number; at: number }>();

  constructor(limit: RateLimit) {
    if (!(limit.perMinute > 0) || !(limit.burst >= 1)) throw new Error("a rate limit needs perMinute > 0 and burst >= 1");
    this.#limit = limit;
  }

  /** Take one token for `source`; false means "refuse this request". */
  take(source: string, now = Date.now()): boolean {
    const { perMinute, burst, maxSources = 10_000 } = this.#limit;
    let bucket = this.#buckets.get(source);
    if (bucket) {
      bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.at) / 60_000) * perMinute);
      bucket.at = now;
      // Re-insert so the map's order stays least-recently-used first.
      this.#buckets.delete(source);
    } else {
      bucket = { tokens: burst, at: now };
      if (this.#buckets.size >= maxSources) this.#buckets.delete(this.#buckets.keys().next().value!);
    }
    this.#buckets.set(source, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }
}
