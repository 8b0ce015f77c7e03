import { describe, expect, it } from "vitest";
import { chooseTorrentPieceLength, MAX_PIECE_LENGTH, MIN_PIECE_LENGTH } from "../../../lib/fanout/index.ts";

const MIB = 2 ** 20;

describe("chooseTorrentPieceLength", () => {
  it("gives 1,000-2,000 pieces between the bounds, a power of two", () => {
    for (const bytes of [300 * MIB, 1024 * MIB, 8 * 1024 * MIB, 20 * 1024 * MIB]) {
      const length = chooseTorrentPieceLength(bytes);
      expect(Number.isInteger(Math.log2(length))).toBe(true);
      const pieces = Math.ceil(bytes / length);
      expect(pieces).toBeGreaterThanOrEqual(1000);
      expect(pieces).toBeLessThanOrEqual(2000);
    }
    expect(chooseTorrentPieceLength(300 * MIB)).toBe(256 * 1024);
  });

  it("keeps to 256 KiB for small images and 16 MiB for huge ones", () => {
    expect(chooseTorrentPieceLength(0)).toBe(MIN_PIECE_LENGTH);
    expect(chooseTorrentPieceLength(3 * MIB)).toBe(MIN_PIECE_LENGTH);
    expect(chooseTorrentPieceLength(2 ** 50)).toBe(MAX_PIECE_LENGTH);
  });

  it("refuses a size that is not a whole non-negative number", () => {
    for (const bad of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => chooseTorrentPieceLength(bad)).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT" }));
    }
  });
});
