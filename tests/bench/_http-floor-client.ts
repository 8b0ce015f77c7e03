/**
 * The client side of http-floor.ts, in a worker thread so its work is not on the server's
 * thread: it sends one request `count` times, one after another over one kept-alive
 * connection, reads each answer whole and checks its status. It sends them with undici's
 * Pool (a lean client), or with fetch as the deploy benchmark's floor does.
 */
import { parentPort } from "node:worker_threads";
import { Agent, fetch as undiciFetch, Pool } from "undici";

/** One request to repeat, and the status every answer must have. */
export interface FloorCase {
  readonly origin: string;
  readonly method: "GET" | "POST" | "PUT";
  readonly path: string;
  readonly headers?: Record<string, string>;
  readonly body?: string;
  readonly status: number;
  /** fetch (over one connection) instead of the Pool. */
  readonly fetch?: boolean;
  /** A new connection for every request, as busybox wget and cloud-init make them. */
  readonly fresh?: boolean;
}

export type FloorMessage = { type: "run"; request: FloorCase; count: number } | { type: "stop" };
export type FloorAnswer = { type: "done" } | { type: "error"; message: string };

const pools = new Map<string, Pool>();

async function run(request: FloorCase, count: number): Promise<void> {
  if (request.fetch) return runFetch(request, count);
  let pool = pools.get(request.origin);
  if (!pool) pools.set(request.origin, (pool = new Pool(request.origin, { connections: 1 })));
  for (let i = 0; i < count; i++) {
    const response = await pool.request({ method: request.method, path: request.path, headers: request.headers ?? {}, body: request.body ?? null, reset: request.fresh === true });
    const body = await response.body.text();
    if (response.statusCode !== request.status) throw new Error(`${request.method} ${request.path}: HTTP ${response.statusCode}, expected ${request.status}: ${body.slice(0, 300)}`);
  }
}

async function runFetch(request: FloorCase, count: number): Promise<void> {
  const dispatcher = new Agent({ connections: 1 });
  try {
    for (let i = 0; i < count; i++) {
      const response = await undiciFetch(`${request.origin}${request.path}`, { method: request.method, headers: request.headers ?? {}, body: request.body ?? null, dispatcher });
      const body = await response.text();
      if (response.status !== request.status) throw new Error(`${request.method} ${request.path}: HTTP ${response.status}, expected ${request.status}: ${body.slice(0, 300)}`);
    }
  } finally {
    await dispatcher.close();
  }
}

parentPort!.on("message", (message: FloorMessage) => {
  if (message.type === "stop") {
    void Promise.all([...pools.values()].map((p) => p.close())).then(() => parentPort!.close());
    return;
  }
  run(message.request, message.count).then(
    () => parentPort!.postMessage({ type: "done" } satisfies FloorAnswer),
    (error: unknown) => parentPort!.postMessage({ type: "error", message: String((error as Error).stack ?? error) } satisfies FloorAnswer),
  );
});
