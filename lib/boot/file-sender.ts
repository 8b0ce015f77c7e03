/**
 * @module boot/file-sender
 * Sends a byte range of a file to an HTTP response from a fixed pool of reusable buffers:
 * read a chunk into a pooled buffer, write it to the socket, take the buffer back once the
 * kernel holds the bytes, read the next.
 *
 * Why not `fs.createReadStream(...).pipe(res)`: a read stream allocates a fresh buffer per
 * chunk (for chunks over 128 KiB each one is its own mmap, page-faulted in and unmapped
 * again) and reads one chunk ahead of the socket, so each client in flight held two chunks
 * and the server's CPU per GiB was 10-15x nginx's, its memory 475 MiB at 1,000 clients
 * (tests/bench/boot-http.ts). Here memory is bounded by the pool whatever the number of
 * clients: a client waits for a free buffer, and only clients whose socket is full hold one.
 * Sites that want zero-copy sendfile put nginx in front of the image files (--image-base-url).
 * Files small enough to be held in memory (kernels, initrds: file-cache.ts) skip the reads
 * altogether and go out from the held Buffer in one write (sendBytes).
 */
import type { ServerResponse } from "node:http";
import { open } from "node:fs/promises";

/** Bytes read and written at a time. */
export const SEND_CHUNK_BYTES = 1024 * 1024;
/** Buffers in the pool: at most this many chunks are in flight across all clients (64 MiB). */
export const SEND_POOL_BUFFERS = 64;

/** A fixed set of equal buffers handed out in turn; takers wait when all are out. */
export class BufferPool {
  readonly #free: Buffer[] = [];
  readonly #waiting: Array<(buffer: Buffer) => void> = [];
  #made = 0;
  readonly size: number;
  readonly count: number;

  constructor(size: number, count: number) {
    this.size = size;
    this.count = count;
  }

  /** A buffer of the pool's size: a free one, a new one while fewer than `count` exist, else the next one given back. */
  take(): Promise<Buffer> {
    const free = this.#free.pop();
    if (free) return Promise.resolve(free);
    if (this.#made < this.count) {
      this.#made++;
      return Promise.resolve(Buffer.allocUnsafeSlow(this.size));
    }
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  give(buffer: Buffer): void {
    const next = this.#waiting.shift();
    if (next) next(buffer);
    else this.#free.push(buffer);
  }

  /** Buffers made so far (for tests and metrics). */
  get made(): number {
    return this.#made;
  }
}

const defaultPool = new BufferPool(SEND_CHUNK_BYTES, SEND_POOL_BUFFERS);

/**
 * Write `chunk` to `res`; resolves once the kernel holds it (the buffer may be reused), or
 * once the response is closed: node drops the callback of a write to a destroyed socket.
 */
function writeOut(res: ServerResponse, chunk: Buffer): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off("close", done);
      resolve();
    };
    res.once("close", done);
    res.write(chunk, done);
  });
}

/**
 * Send bytes `start`..`end` (inclusive) of `bytes` (a whole file held in memory) as the body
 * of `res`, whose head the caller has written, and end it: one write of a view of the one
 * Buffer, no copy in JavaScript. libuv hands the kernel what the socket takes and the rest as
 * room appears, with no JavaScript in between. In 1 MiB slices, each written once the kernel
 * held the last, serve spent a median 0.36 CPU s/GiB at 100 clients against 0.31 for the one
 * write (nine rounds each, the two builds alternating), and 0.48 against 0.36-0.37 at 1,000
 * (tests/bench/boot-http.ts, whose node floor writes the same way). A slow client is not cut
 * off midway: node's idle check lets a socket live while its pending write shrinks between
 * two checks (net.Socket's _onTimeout); one that reads nothing is closed after one to two
 * idle limits.
 */
export function sendBytes(res: ServerResponse, bytes: Buffer, start: number, end: number): void {
  if (!res.destroyed) res.end(bytes.subarray(start, end + 1));
}

/**
 * Send bytes `start`..`end` (inclusive) of the file at `path` as the body of `res`, whose
 * head the caller has written, and end it. A client that goes away stops the sending; a file
 * shorter than announced ends the response early (the client sees the short body).
 */
export async function sendFileRange(res: ServerResponse, path: string, start: number, end: number, pool: BufferPool = defaultPool): Promise<void> {
  const file = await open(path, "r");
  try {
    let position = start;
    while (position <= end && !res.destroyed) {
      const buffer = await pool.take();
      let handedOver = false;
      try {
        const { bytesRead } = await file.read(buffer, 0, Math.min(buffer.length, end - position + 1), position);
        if (bytesRead === 0) break;
        position += bytesRead;
        if (res.destroyed) break;
        handedOver = true;
        // The buffer goes back to the pool only once the socket is done with it.
        await writeOut(res, bytesRead === buffer.length ? buffer : buffer.subarray(0, bytesRead)).finally(() => pool.give(buffer));
      } finally {
        if (!handedOver) pool.give(buffer);
      }
    }
  } catch (error) {
    // The client went away mid-file (a reset, a timeout): nothing left to answer.
    if (!res.destroyed) res.destroy(error as Error);
    return;
  } finally {
    await file.close();
  }
  if (!res.destroyed) res.end();
}
