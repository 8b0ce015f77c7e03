/**
 * A streamed answer that turns out small is sent whole (one write, with its length); a large
 * one still streams, having read no more than the limit and one piece ahead.
 */
import { describe, expect, it } from "vitest";
import { wholeIfSmall } from "../../../lib/ec2/xml/render-xml.ts";

/** Pieces of `size` characters, `count` of them, counting how many were pulled. */
function counted(count: number, size: number) {
  const state = { pulled: 0, closed: false };
  async function* pieces() {
    try {
      for (let i = 0; i < count; i++) {
        state.pulled++;
        yield String.fromCharCode(97 + (i % 26)).repeat(size);
      }
    } finally {
      state.closed = true;
    }
  }
  return { state, pieces: pieces() };
}

async function drain(stream: AsyncGenerator<string>): Promise<string> {
  let text = "";
  for await (const piece of stream) text += piece;
  return text;
}

describe("wholeIfSmall", () => {
  it("answers a stream that ends within the limit as its whole text", async () => {
    const { state, pieces } = counted(3, 10);
    expect(await wholeIfSmall(pieces, 100)).toBe("a".repeat(10) + "b".repeat(10) + "c".repeat(10));
    expect(state.pulled).toBe(3);
  });

  it("answers a stream of exactly the limit whole, and an empty one as empty text", async () => {
    expect(await wholeIfSmall(counted(10, 10).pieces, 100)).toHaveLength(100);
    expect(await wholeIfSmall(counted(0, 10).pieces, 100)).toBe("");
  });

  it("answers a small stream with Buffer pieces as the UTF-8 bytes of the whole answer", async () => {
    async function* pieces() {
      yield "<a>";
      yield Buffer.from("é€");
      yield "</a>";
    }
    const answer = await wholeIfSmall(pieces(), 100);
    expect(Buffer.isBuffer(answer)).toBe(true);
    expect((answer as Buffer).toString("utf8")).toBe("<a>é€</a>");
  });

  it("streams a longer answer: reads only past the limit first, then yields the same text in order", async () => {
    const { state, pieces } = counted(50, 10);
    const answer = await wholeIfSmall(pieces, 100);
    expect(typeof answer).not.toBe("string");
    expect(state.pulled).toBe(11);
    const text = await drain(answer as AsyncGenerator<string>);
    expect(state.pulled).toBe(50);
    expect(text).toBe(await drain(counted(50, 10).pieces));
  });

  it("closes the source when the streamed answer is abandoned (the client went away)", async () => {
    const { state, pieces } = counted(50, 10);
    const answer = (await wholeIfSmall(pieces, 100)) as AsyncGenerator<string>;
    await answer.next();
    await answer.return(undefined);
    expect(state.closed).toBe(true);
    expect(state.pulled).toBeLessThan(50);
  });
});
