import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import type { AddressInfo } from "node:net";
import { connect } from "node:net";
import { join } from "node:path";
import Fastify from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isNotModified, parseRange, serveFile } from "../../lib/boot/serve-file.ts";
import { FileCache } from "../../lib/boot/file-cache.ts";

describe("Range headers", () => {
  it("parses the single-range forms", () => {
    expect(parseRange(undefined, 100)).toBeUndefined();
    expect(parseRange("bytes=0-9", 100)).toEqual({ start: 0, end: 9 });
    expect(parseRange("bytes=90-", 100)).toEqual({ start: 90, end: 99 });
    expect(parseRange("bytes=-10", 100)).toEqual({ start: 90, end: 99 });
    expect(parseRange("bytes=50-1000", 100)).toEqual({ start: 50, end: 99 });
  });

  it("ignores forms it does not serve (the whole file is a valid answer) and refuses unsatisfiable ones", () => {
    expect(parseRange("bytes=0-1,5-6", 100)).toBeUndefined();
    expect(parseRange("items=0-1", 100)).toBeUndefined();
    expect(parseRange("bytes=100-", 100)).toBeNull();
    expect(parseRange("bytes=9-3", 100)).toBeNull();
    expect(parseRange("bytes=-0", 100)).toBeNull();
  });
});

describe("serving a file over HTTP: ranges and conditional requests", () => {
  const content = randomBytes(3 * 1024 * 1024 + 77);
  const app = Fastify();
  const cache = new FileCache();
  let dir: string | undefined;
  // Made before the first test, not when the file is collected: a run that skips these tests leaves nothing behind.
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), `orchestra-serve-file-${process.pid}-`));
    writeFileSync(join(dir, "kernel"), content);
    app.get("/f", (request, reply) => serveFile(request, reply, join(dir!, "kernel")));
    app.get("/held", (request, reply) => serveFile(request, reply, join(dir!, "kernel"), cache));
  });
  afterAll(async () => {
    await app.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("a whole file larger than one read, a range, and HEAD with the real length", async () => {
    const whole = await app.inject({ url: "/f" });
    expect(whole.statusCode).toBe(200);
    expect(whole.rawPayload.equals(content)).toBe(true);
    expect(whole.headers["content-length"]).toBe(String(content.length));
    const part = await app.inject({ url: "/f", headers: { range: "bytes=1048500-2097200" } });
    expect(part.statusCode).toBe(206);
    expect(part.rawPayload.equals(content.subarray(1048500, 2097201))).toBe(true);
    expect(part.headers["content-range"]).toBe(`bytes 1048500-2097200/${content.length}`);
    const head = await app.inject({ method: "HEAD", url: "/f" });
    expect(head.headers["content-length"]).toBe(String(content.length));
    expect(head.rawPayload.length).toBe(0);
  });

  it("from memory (the file cache): the same whole file and ranges, the file read once", async () => {
    for (let i = 0; i < 2; i++) {
      const whole = await app.inject({ url: "/held" });
      expect(whole.rawPayload.equals(content)).toBe(true);
      const part = await app.inject({ url: "/held", headers: { range: "bytes=1048500-2097200" } });
      expect(part.statusCode).toBe(206);
      expect(part.rawPayload.equals(content.subarray(1048500, 2097201))).toBe(true);
      expect((await app.inject({ url: "/held", headers: { range: "bytes=-1" } })).rawPayload.equals(content.subarray(-1))).toBe(true);
    }
    expect(cache.heldBytes).toBe(content.length);
  });

  it("If-None-Match with the ETag, or If-Modified-Since at or after the file's time, answers 304 without a body", async () => {
    const first = await app.inject({ method: "HEAD", url: "/f" });
    const etag = first.headers.etag as string;
    const lastModified = first.headers["last-modified"] as string;
    const byTag = await app.inject({ url: "/f", headers: { "if-none-match": `"other", ${etag}` } });
    expect(byTag.statusCode).toBe(304);
    expect(byTag.rawPayload.length).toBe(0);
    expect(byTag.headers.etag).toBe(etag);
    expect((await app.inject({ url: "/f", headers: { "if-modified-since": lastModified } })).statusCode).toBe(304);
    // Changed since, or another tag: the whole file.
    expect((await app.inject({ url: "/f", headers: { "if-modified-since": new Date(Date.parse(lastModified) - 10_000).toUTCString() } })).statusCode).toBe(200);
    expect((await app.inject({ url: "/f", headers: { "if-none-match": '"other"' } })).statusCode).toBe(200);
    // If-None-Match wins over If-Modified-Since.
    expect((await app.inject({ url: "/f", headers: { "if-none-match": '"other"', "if-modified-since": lastModified } })).statusCode).toBe(200);
  });

  it("If-Range: the range while the file is the one the client has, the whole file once it changed", async () => {
    const { etag } = (await app.inject({ method: "HEAD", url: "/f" })).headers;
    const same = await app.inject({ url: "/f", headers: { range: "bytes=0-9", "if-range": etag as string } });
    expect(same.statusCode).toBe(206);
    expect(same.rawPayload.equals(content.subarray(0, 10))).toBe(true);
    const changed = await app.inject({ url: "/f", headers: { range: "bytes=0-9", "if-range": '"0-0"' } });
    expect(changed.statusCode).toBe(200);
    expect(changed.rawPayload.length).toBe(content.length);
  });
});

describe("conditional request rules", () => {
  it("weak tags and * match; a date before the file's second does not", () => {
    const mtime = Date.parse("2026-12-01T10:00:00.500Z");
    expect(isNotModified('W/"a"', undefined, '"a"', mtime)).toBe(true);
    expect(isNotModified("*", undefined, '"a"', mtime)).toBe(true);
    expect(isNotModified(undefined, "Tue, 01 Dec 2026 10:00:00 GMT", '"a"', mtime)).toBe(true);
    expect(isNotModified(undefined, "Tue, 01 Dec 2026 09:59:59 GMT", '"a"', mtime)).toBe(false);
    expect(isNotModified(undefined, "not a date", '"a"', mtime)).toBe(false);
    expect(isNotModified(undefined, undefined, '"a"', mtime)).toBe(false);
  });
});

describe("a held file over a real socket with an idle limit", () => {
  // Larger than loopback's socket buffers take at once, so the one write has to wait on the reader.
  const content = Buffer.alloc(32 * 1024 * 1024, "orchestra");
  const IDLE_MS = 250;
  const app = Fastify({ connectionTimeout: IDLE_MS });
  const cache = new FileCache();
  let dir: string | undefined;
  let port = 0;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), `orchestra-serve-file-idle-${process.pid}-`));
    writeFileSync(join(dir, "initrd"), content);
    app.get("/held", (request, reply) => serveFile(request, reply, join(dir!, "initrd"), cache));
    await app.listen({ host: "127.0.0.1", port: 0 });
    port = (app.server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await app.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** GET /held, reading 1 MiB and then pausing `pauseMs` each time; resolves with the bytes read once the server closes or ends. */
  const fetchSlowly = (pauseMs: number) =>
    new Promise<{ bytes: number; ms: number }>((resolveFetch, reject) => {
      const started = Date.now();
      const socket = connect(port, "127.0.0.1", () => socket.write("GET /held HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
      let bytes = 0;
      let sincePause = 0;
      socket.on("data", (chunk: Buffer) => {
        bytes += chunk.length;
        sincePause += chunk.length;
        if (sincePause >= 1024 * 1024) {
          sincePause = 0;
          socket.pause();
          setTimeout(() => socket.resume(), pauseMs);
        }
      });
      socket.on("error", reject);
      socket.on("close", () => resolveFetch({ bytes, ms: Date.now() - started }));
    });

  it("a client that reads slowly but steadily gets the whole file, however long past the idle limit it takes", async () => {
    const { bytes, ms } = await fetchSlowly(100);
    // The head, then every byte of the body; and it took many idle limits.
    expect(bytes).toBeGreaterThan(content.length);
    expect(ms).toBeGreaterThan(4 * IDLE_MS);
  });

  it("a client that stops reading is cut off after the idle limit", async () => {
    // Seen from the server: a client that reads nothing cannot see the close.
    const serverSide = new Promise<number>((resolveClose) => app.server.once("connection", (socket) => {
      const opened = Date.now();
      socket.once("close", () => resolveClose(Date.now() - opened));
    }));
    const client = connect(port, "127.0.0.1", () => client.write("GET /held HTTP/1.1\r\nHost: x\r\n\r\n"));
    client.pause();
    try {
      // One idle limit to see the write stall, at most one more while it still moved.
      expect(await serverSide).toBeLessThan(10 * IDLE_MS);
    } finally {
      client.destroy();
    }
  }, 10_000);
});
