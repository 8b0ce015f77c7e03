import { describe, expect, it } from "vitest";
import { randomPoolBytes } from "../../lib/store/random-pool.ts";

describe("the random pool", () => {
  it("hands out each byte once: draws never repeat, and one drawn earlier is not overwritten when the pool is refilled", () => {
    const first = randomPoolBytes(12);
    const kept = Buffer.from(first);
    const seen = new Set<string>([kept.toString("hex")]);
    // 2,000 draws of 12 bytes span several 4 KiB pools.
    for (let i = 0; i < 2000; i++) {
      const hex = randomPoolBytes(12).toString("hex");
      expect(seen.has(hex)).toBe(false);
      seen.add(hex);
    }
    expect(first.equals(kept)).toBe(true);
  });

  it("answers the size asked for, small or large", () => {
    for (const size of [1, 9, 32, 64, 65, 4096, 10_000]) expect(randomPoolBytes(size)).toHaveLength(size);
  });
});
