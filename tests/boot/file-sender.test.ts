/**
 * Sending image files from pooled buffers, over a real HTTP listener on loopback: whole
 * files and ranges across chunk boundaries arrive byte for byte, the pool bounds the buffers
 * however many clients download at once, and a client that goes away gives its buffer back.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BufferPool, sendFileRange } from "../../lib/boot/file-sender.ts";

const CHUNK = 64 * 1024;
const content = randomBytes(5 * CHUNK + 1234);

describe("sending a file range from a buffer pool", () => {
  let dir: string;
  let path: string;
  let server: Server;
  let port: number;
  let pool: BufferPool;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), `orchestra-file-sender-${process.pid}-`));
    path = join(dir, "initrd");
    writeFileSync(path, content);
    pool = new BufferPool(CHUNK, 3);
    // GET /<start>/<end>: those bytes of the file.
    server = createServer((req, res) => {
      const [, start, end] = req.url!.split("/").map(Number);
      res.writeHead(200, { "content-length": String(end! - start! + 1) });
      void sendFileRange(res, path, start!, end!, pool);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const get = (start: number, end: number) =>
    new Promise<Buffer>((resolve, reject) => {
      request({ host: "127.0.0.1", port, path: `/${start}/${end}` }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve(Buffer.concat(chunks)));
      })
        .on("error", reject)
        .end();
    });

  /** Every buffer of the pool is free: taking `count` of them does not wait. */
  const allFree = async () => {
    const taken = await Promise.race([Promise.all(Array.from({ length: pool.count }, () => pool.take())), new Promise<undefined>((r) => setTimeout(() => r(undefined), 2000))]);
    if (!taken) return false;
    for (const buffer of taken) pool.give(buffer);
    return true;
  };

  it("sends a whole file of several chunks and ranges that cross chunk boundaries, byte for byte", async () => {
    expect((await get(0, content.length - 1)).equals(content)).toBe(true);
    expect((await get(CHUNK - 10, 3 * CHUNK + 10)).equals(content.subarray(CHUNK - 10, 3 * CHUNK + 11))).toBe(true);
    expect((await get(content.length - 1, content.length - 1)).equals(content.subarray(-1))).toBe(true);
  });

  it("twenty clients at once share three buffers: all get their bytes, no more buffers are made", async () => {
    const bodies = await Promise.all(Array.from({ length: 20 }, (_, i) => get(i * 1000, content.length - 1)));
    bodies.forEach((body, i) => expect(body.equals(content.subarray(i * 1000))).toBe(true));
    expect(pool.made).toBeLessThanOrEqual(3);
    expect(await allFree()).toBe(true);
  });

  it("a client that goes away mid-file gives its buffer back: the others still download", async () => {
    // Three clients that read a little and vanish, each holding a buffer when they go.
    await Promise.all(
      Array.from(
        { length: 3 },
        () =>
          new Promise<void>((resolve) => {
            const req = request({ host: "127.0.0.1", port, path: `/0/${content.length - 1}` }, (res) => {
              res.once("data", () => {
                req.destroy();
                resolve();
              });
            });
            req.on("error", () => resolve());
            req.end();
          }),
      ),
    );
    await new Promise((r) => setTimeout(r, 200));
    expect(await allFree()).toBe(true);
    expect((await get(0, content.length - 1)).equals(content)).toBe(true);
  });
});
