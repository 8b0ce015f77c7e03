/**
 * The Node floor for boot files (tests/bench/boot-http.ts): a bare node:http server that holds
 * each file under ROOT in one Buffer, as Orchestra's file cache does, and answers GET /<path>
 * with a single `res.end(bytes)`: no framework, no ranges, no per-slice JavaScript, node's own
 * write path alone (libuv writes what the socket takes and waits for room for the rest). What
 * Orchestra spends above this is its own; what this spends above nginx without sendfile is Node's.
 *
 *   node _boot-file-floor.ts ROOT PORT   (loopback only; runs until killed)
 */
import { readFile } from "node:fs/promises";
import { createServer } from "node:http";
import { join, normalize } from "node:path";

const [root, port] = process.argv.slice(2);
if (!root || !port) throw new Error("usage: _boot-file-floor.ts ROOT PORT");
const held = new Map<string, Buffer>();

const server = createServer((req, res) => {
  const path = normalize(decodeURIComponent(req.url ?? "/"));
  const bytes = held.get(path);
  const answer = (body: Buffer) => {
    res.writeHead(200, { "content-type": "application/octet-stream", "content-length": body.length });
    res.end(body);
  };
  if (bytes) return answer(bytes);
  // First request for a file: read it once (the benchmark's warm-up asks for each before measuring).
  readFile(join(root, path)).then(
    (body) => {
      held.set(path, body);
      answer(body);
    },
    () => {
      res.writeHead(404).end();
    },
  );
});
// Orchestra's boot listener keeps an idle connection 15 s (node's default is 5 s): the same
// here, so a client's second file does not find its connection closed more often than there.
server.keepAliveTimeout = 15_000;
server.listen(Number(port), "127.0.0.1");
