/**
 * @module ec2/xml/xml-chunks
 * A streamed answer's XML written as UTF-8 straight into Buffers of about CHUNK_BYTES. A
 * DescribeInstances answer built as one string per batch of instances held a megabyte-long
 * rope of small strings alive across many young-generation collections: with serve's 1 MiB
 * semi-space (lib/server/serve-node-flags.ts) each collection copied it, then promoted it, and
 * the socket encoded it again when it was written. A Buffer's bytes live outside V8's heap:
 * only each instance's own text passes through the young generation, and dies at once.
 */

/** The size of the chunks an answer is cut into: large enough that per-write costs vanish. */
export const CHUNK_BYTES = 64 * 1024;

/**
 * An answer's first chunk, and each next one four times the last up to CHUNK_BYTES. A by-id
 * DescribeInstances of one instance (about 2.5 KB) fits in the first, which Node cuts from its
 * shared Buffer pool. A 64 KiB chunk for every small answer was an allocation of its own
 * outside V8's heap, and their sum made V8 run a full collection every few hundred calls (18
 * in tests/bench/http-floor.ts' 5,500 by-id calls, against 3 for the calls that find
 * nothing). A large answer only starts with two smaller chunks.
 */
export const FIRST_CHUNK_BYTES = 4 * 1024;

/** No chunk yet: the first write allocates one, so an answer that writes nothing allocates nothing. */
const NONE = Buffer.alloc(0);

export class XmlChunks {
  #chunk = NONE;
  #used = 0;
  #next = FIRST_CHUNK_BYTES;
  #sealed: Buffer[] = [];

  /** Append text (already escaped), starting a new chunk when it might not fit in this one. */
  write(text: string): void {
    // A UTF-16 unit is at most 3 UTF-8 bytes: measuring exactly is needed only when that bound does not fit.
    if (text.length * 3 > this.#chunk.length - this.#used) {
      const bytes = Buffer.byteLength(text);
      if (bytes > this.#chunk.length - this.#used) {
        if (this.#used > 0) this.#sealed.push(this.#chunk.subarray(0, this.#used));
        this.#chunk = Buffer.allocUnsafe(Math.max(this.#next, bytes));
        this.#next = Math.min(CHUNK_BYTES, this.#next * 4);
        this.#used = 0;
      }
    }
    this.#used += this.#chunk.write(text, this.#used);
  }

  /** Whether some chunk is full: take() it before writing much more, so the answer streams. */
  get ready(): boolean {
    return this.#sealed.length > 0;
  }

  /** The full chunks, and with `all` the one being filled too; they are the caller's from then on. */
  take(all = false): Buffer[] {
    const out = this.#sealed;
    this.#sealed = [];
    if (all && this.#used > 0) {
      out.push(this.#chunk.subarray(0, this.#used));
      // The rest of this chunk is not reused: the caller holds its start until the socket writes
      // it. The next chunk is allocated by the next write, if there is one (a small answer has none).
      this.#chunk = NONE;
      this.#used = 0;
    }
    return out;
  }
}
