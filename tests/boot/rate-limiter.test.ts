import { describe, expect, it } from "vitest";
import { RateLimiter } from "../../lib/boot/rate-limiter.ts";

describe("the per-source rate limiter", () => {
  it("allows a burst, refuses beyond it, and refills over time", () => {
    const limiter = new RateLimiter({ perMinute: 60, burst: 3 });
    const t0 = 1_000_000;
    expect([1, 2, 3, 4].map(() => limiter.take("192.0.2.10", t0))).toEqual([true, true, true, false]);
    // Another source has its own bucket.
    expect(limiter.take("192.0.2.11", t0)).toBe(true);
    expect(limiter.take("192.0.2.10", t0 + 500)).toBe(false);
    expect(limiter.take("192.0.2.10", t0 + 1000)).toBe(true);
  });

  it("keeps a bounded number of sources", () => {
    const limiter = new RateLimiter({ perMinute: 1, burst: 1, maxSources: 2 });
    expect(limiter.take("a", 0)).toBe(true);
    expect(limiter.take("a", 0)).toBe(false);
    limiter.take("b", 0);
    limiter.take("c", 0);
    // "a" was the least recently seen and was evicted: it starts with a full bucket again.
    expect(limiter.take("a", 0)).toBe(true);
  });

  it("refuses a limit that cannot work", () => {
    expect(() => new RateLimiter({ perMinute: 0, burst: 1 })).toThrow();
  });
});
