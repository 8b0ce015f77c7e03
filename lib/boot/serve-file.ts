/**
 * @module boot/serve-file
 * Large boot files over HTTP with byte ranges (DESIGN.md: "never TFTP"): kernels, initrds
 * and root images: the hot ones from memory (file-cache.ts), the others from disk in big reads
 * through a bounded buffer pool (file-sender.ts).
 */
import { stat } from "node:fs/promises";
import type { FastifyReply, FastifyRequest } from "fastify";
import { OrchestraError } from "../errors.ts";
import { FileCache } from "./file-cache.ts";
import { sendBytes, sendFileRange } from "./file-sender.ts";

/** A byte range, both ends inclusive, as HTTP counts them. */
export interface ByteRange {
  readonly start: number;
  readonly end: number;
}

/**
 * Parse a Range header against a file of `size` bytes: undefined means "send it all"
 * (no header, or a form we ignore, as RFC 9110 allows); null means unsatisfiable (416).
 */
export function parseRange(header: string | undefined, size: number): ByteRange | undefined | null {
  if (header === undefined) return undefined;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  // Several ranges or another unit: serving the whole file is the allowed, simple answer.
  if (!match) return undefined;
  const [, first, last] = match;
  if (first === "" && last === "") return undefined;
  if (first === "") {
    const suffix = Number(last);
    if (suffix === 0) return null;
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  const end = last === "" ? size - 1 : Math.min(Number(last), size - 1);
  if (start >= size || start > end) return null;
  return { start, end };
}

/** Whether a conditional GET or HEAD may be answered 304: the client's copy is current. */
export function isNotModified(ifNoneMatch: string | undefined, ifModifiedSince: string | undefined, etag: string, mtimeMs: number): boolean {
  if (ifNoneMatch !== undefined) return ifNoneMatch.split(",").some((tag) => tag.trim() === "*" || tag.trim().replace(/^W\//, "") === etag);
  if (ifModifiedSince === undefined) return false;
  const since = Date.parse(ifModifiedSince);
  // HTTP dates have whole seconds: the file is unchanged if it was last written within the second named.
  return Number.isFinite(since) && Math.floor(mtimeMs / 1000) * 1000 <= since;
}

/**
 * Answer `request` with the file at `path`, honouring Range, If-Range, If-None-Match,
 * If-Modified-Since and HEAD; from `cache` when it holds (or can hold) the file.
 */
export async function serveFile(request: FastifyRequest, reply: FastifyReply, path: string, cache?: FileCache): Promise<FastifyReply> {
  const info = await stat(path).catch(() => undefined);
  if (!info?.isFile()) throw new OrchestraError("BOOT_FILE_MISSING", `boot file ${path} is missing`, { path });
  const etag = `"${info.size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}"`;
  const lastModified = info.mtime.toUTCString();
  reply.header("accept-ranges", "bytes").header("etag", etag).header("last-modified", lastModified).type("application/octet-stream");
  // Conditional requests (RFC 9110 13.2.2): If-None-Match first, If-Modified-Since only without it.
  if (isNotModified(request.headers["if-none-match"], request.headers["if-modified-since"], etag, info.mtimeMs)) {
    reply.removeHeader("content-type");
    return reply.code(304).send();
  }
  // If-Range: a range of the file the client has a part of, or the whole file when it changed.
  const ifRange = request.headers["if-range"];
  const range = ifRange === undefined || ifRange === etag || ifRange === lastModified ? parseRange(request.headers.range, info.size) : undefined;
  if (range === null) {
    return reply.code(416).header("content-range", `bytes */${info.size}`).send();
  }
  const { start, end } = range ?? { start: 0, end: info.size - 1 };
  if (range) reply.code(206).header("content-range", `bytes ${start}-${end}/${info.size}`);
  reply.header("content-length", String(info.size === 0 ? 0 : end - start + 1));
  if (info.size === 0 && request.method !== "HEAD") return reply.send();
  // Written on the raw response: fastify would rewrite an empty HEAD reply's Content-Length to
  // 0, and the body goes from pooled buffers (file-sender.ts), not through a stream per request.
  reply.hijack();
  reply.raw.writeHead(reply.statusCode, reply.getHeaders() as Record<string, string>);
  if (request.method === "HEAD") {
    reply.raw.end();
    return reply;
  }
  const held = await cache?.get(path, info);
  if (held) sendBytes(reply.raw, held, start, end);
  else await sendFileRange(reply.raw, path, start, end);
  return reply;
}
