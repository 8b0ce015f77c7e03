/**
 * DescribeInstances writes its XML into Buffers of about CHUNK_BYTES: whatever the pieces
 * (multi-byte text, a piece larger than a chunk), the chunks joined are the text's UTF-8.
 */
import { describe, expect, it } from "vitest";
import { CHUNK_BYTES, FIRST_CHUNK_BYTES, XmlChunks } from "../../../lib/ec2/xml/xml-chunks.ts";

function written(pieces: readonly string[]): { chunks: Buffer[]; readyAfter: number[] } {
  const out = new XmlChunks();
  const chunks: Buffer[] = [];
  const readyAfter: number[] = [];
  pieces.forEach((piece, i) => {
    out.write(piece);
    if (out.ready) {
      readyAfter.push(i);
      chunks.push(...out.take());
    }
  });
  chunks.push(...out.take(true));
  return { chunks, readyAfter };
}

describe("XmlChunks", () => {
  it("gives back the UTF-8 of the text written, multi-byte characters whole, in chunks no larger than CHUNK_BYTES", () => {
    const pieces = Array.from({ length: 3000 }, (_, i) => `<item>${i} é€😀 &amp; ${"x".repeat(i % 97)}</item>`);
    const { chunks, readyAfter } = written(pieces);
    expect(Buffer.concat(chunks).toString("utf8")).toBe(pieces.join(""));
    expect(readyAfter.length).toBeGreaterThan(1);
    for (const chunk of chunks) expect(chunk.length).toBeLessThanOrEqual(CHUNK_BYTES);
  });

  it("takes a piece larger than a chunk whole, in a chunk of its own size", () => {
    const big = "é".repeat(CHUNK_BYTES);
    const { chunks } = written(["<a>", big, "</a>"]);
    expect(Buffer.concat(chunks).toString("utf8")).toBe(`<a>${big}</a>`);
    expect(chunks.some((chunk) => chunk.length >= 2 * CHUNK_BYTES)).toBe(true);
  });

  it("starts small and grows to CHUNK_BYTES: a small answer never has a 64 KiB chunk behind it", () => {
    const item = `<item>${"x".repeat(500)}</item>`;
    const { chunks } = written(Array.from({ length: 2000 }, () => item));
    // A chunk is sealed when the next item does not fit: each is within an item of its capacity.
    const capacities = [FIRST_CHUNK_BYTES, 4 * FIRST_CHUNK_BYTES, CHUNK_BYTES, CHUNK_BYTES];
    capacities.forEach((capacity, i) => {
      expect(chunks[i]!.length).toBeLessThanOrEqual(capacity);
      expect(chunks[i]!.length).toBeGreaterThan(capacity - item.length);
    });
    expect(Buffer.concat(chunks).toString()).toBe(item.repeat(2000));
  });

  it("gives nothing for nothing written, and a taken chunk is not written over", () => {
    const out = new XmlChunks();
    expect(out.take(true)).toEqual([]);
    out.write("first");
    const [first] = out.take(true);
    out.write("second");
    expect(first!.toString()).toBe("first");
    expect(out.take(true)[0]!.toString()).toBe("second");
  });
});
