/**
 * A NoCloud seed over HTTP, run as its own process so that a test can start it inside a
 * network namespace: `node nocloud-seed-server.ts DIR ADDRESS PORT`. Serves DIR's files
 * under any path ending in their name (…/meta-data, …/user-data), prints "listening" once
 * ready and one line per request, so the test sees what the machine fetched.
 */
import { readFile } from "node:fs/promises";
import { createServer } from "node:http";
import { basename, join } from "node:path";

const [dir, address, port] = process.argv.slice(2);
if (!dir || !address || !port) throw new Error("usage: nocloud-seed-server.ts DIR ADDRESS PORT");

const server = createServer((request, response) => {
  const name = basename(new URL(request.url ?? "/", "http://x").pathname);
  readFile(join(dir, name)).then(
    (body) => {
      process.stdout.write(`GET ${request.url} 200 from ${request.socket.remoteAddress}\n`);
      response.writeHead(200, { "content-type": "text/plain", "content-length": body.length }).end(body);
    },
    () => {
      process.stdout.write(`GET ${request.url} 404 from ${request.socket.remoteAddress}\n`);
      response.writeHead(404).end();
    },
  );
});
server.listen(Number(port), address, () => process.stdout.write("listening\n"));
process.on("SIGTERM", () => server.close(() => process.exit(0)));
