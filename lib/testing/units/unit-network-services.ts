/**
 * @module testing/units/unit-network-services
 * The host side of the unit network, run as its own process inside the network's namespace
 * (`ip netns exec NS node unit-network-services.ts REPO SOCKETS`), on the bridge address:
 * - :8080 serves the local apt repository (GET and HEAD of its files);
 * - :8081 answers 404 to everything: the broken mirror of the fault tests;
 * - :9000 is the unit agent's door: a unit's hook tools dial it, and each connection is
 *   piped to `SOCKETS/<the unit's address>.sock`, where the test process answers as Juju.
 * Prints "ready" once all three listen.
 */
import { createReadStream, statSync } from "node:fs";
import { createServer as createHttpServer } from "node:http";
import { createConnection, createServer } from "node:net";
import { join, normalize } from "node:path";

export const BRIDGE_ADDRESS = "198.51.100.1";
export const REPOSITORY_PORT = 8080;
export const BROKEN_MIRROR_PORT = 8081;
export const AGENT_PORT = 9000;

/** A static HTTP server for a directory (GET and HEAD of its files): the local apt repository. */
export function serveRepository(dir: string) {
  return createHttpServer((request, response) => {
    const path = normalize(decodeURIComponent(new URL(request.url ?? "/", "http://x").pathname));
    const file = join(dir, path);
    let size: number;
    try {
      const stat = statSync(file);
      if (!stat.isFile() || !file.startsWith(dir)) throw new Error("not a file");
      size = stat.size;
    } catch {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { "content-length": size, "content-type": "application/octet-stream" });
    if (request.method === "HEAD") response.end();
    else createReadStream(file).pipe(response);
  });
}

function relayToUnitAgents(socketDir: string) {
  return createServer((client) => {
    const address = (client.remoteAddress ?? "").replace(/^::ffff:/, "");
    const upstream = createConnection(join(socketDir, `${address}.sock`));
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on("error", close);
    upstream.on("error", close);
    client.pipe(upstream).pipe(client);
  });
}

async function main(repositoryDir: string, socketDir: string): Promise<void> {
  const listen = (server: { listen: (port: number, host: string, cb: () => void) => unknown; once: (e: string, cb: (err: Error) => void) => unknown }, port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, BRIDGE_ADDRESS, resolve);
    });
  await listen(serveRepository(repositoryDir), REPOSITORY_PORT);
  await listen(createHttpServer((_req, res) => res.writeHead(404).end("mirror is broken (unit harness fault)\n")), BROKEN_MIRROR_PORT);
  await listen(relayToUnitAgents(socketDir), AGENT_PORT);
  process.stdout.write("ready\n");
}

if (import.meta.main) {
  const [repositoryDir, socketDir] = process.argv.slice(2);
  if (repositoryDir === undefined || socketDir === undefined) {
    process.stderr.write("usage: unit-network-services REPOSITORY_DIR SOCKET_DIR\n");
    process.exit(2);
  }
  main(repositoryDir, socketDir).catch((error: unknown) => {
    process.stderr.write(`unit-network-services: ${String(error)}\n`);
    process.exit(1);
  });
}
