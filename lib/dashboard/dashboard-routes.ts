/**
 * @module dashboard/dashboard-routes
 * The web dashboard on its own listener: its pages and assets (shipped in the package, never
 * from a CDN) and the JSON API they call under /api/v1. The pages build every piece of text
 * with textContent, and the Content-Security-Policy allows no inline script, so a machine
 * named `<script>` is shown as text and runs nothing.
 */
import { readFile } from "node:fs/promises";
import type { FastifyInstance } from "fastify";
import { dashboardApi, type DashboardApiServices } from "./dashboard-api.ts";

/** The assets the pages need, by URL name, with their content types. */
const ASSETS: Readonly<Record<string, string>> = {
  "app.js": "text/javascript; charset=utf-8",
  "app.css": "text/css; charset=utf-8",
};

const ASSET_DIR = new URL("./assets/", import.meta.url);

const SECURITY_HEADERS = {
  "content-security-policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
};

/** Serve the dashboard's pages, assets and API on `app`. */
export async function registerDashboard(app: FastifyInstance, services: DashboardApiServices): Promise<void> {
  app.addHook("onSend", async (_request, reply) => {
    reply.headers(SECURITY_HEADERS);
  });
  const cache = new Map<string, Buffer>();
  const asset = async (name: string) => {
    let body = cache.get(name);
    if (!body) cache.set(name, (body = await readFile(new URL(name, ASSET_DIR))));
    return body;
  };
  app.get("/", async (_request, reply) => reply.type("text/html; charset=utf-8").header("cache-control", "no-store").send(await asset("index.html")));
  app.get("/assets/:name", async (request, reply) => {
    const { name } = request.params as { name: string };
    const type = ASSETS[name];
    if (!type) return reply.code(404).send({ error: { code: "INVALID_ARGUMENT", message: "no such asset" } });
    return reply.type(type).header("cache-control", "no-cache").send(await asset(name));
  });
  await app.register(async (api) => dashboardApi(api, services), { prefix: "/api/v1" });
}
