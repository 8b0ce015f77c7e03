/**
 * @module lab/loopback-relay
 * Publishes a service that lives inside the lab's namespace on the host's loopback: a TCP
 * listener on 127.0.0.1 piping each connection to the service's unix socket (a unix socket
 * path is reachable from both network namespaces; a TCP port is not).
 */
import { createConnection, createServer, type Socket } from "node:net";

/** Listen on 127.0.0.1:`port` (0: any free port) and relay every connection to `socketPath`. */
export async function startLoopbackRelay(socketPath: string, port = 0): Promise<{ port: number; close: () => Promise<void> }> {
  const open = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = createConnection(socketPath);
    open.add(client).add(upstream);
    client.on("close", () => open.delete(client));
    upstream.on("close", () => open.delete(upstream));
    client.pipe(upstream).pipe(client);
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on("error", close);
    upstream.on("error", close);
  });
  await new Promise<void>((resolve, reject) => server.once("error", reject).listen(port, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("relay has no TCP address");
  return {
    port: address.port,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of open) socket.destroy();
      await closed;
    },
  };
}
