/**
 * @module images/simplestreams-routes
 * Serving what `orchestra images simplestreams` wrote: `GET /streams/v1/<file>` (the index
 * and products, signed and unsigned) and `GET /streams/orchestra-simplestreams.asc` (the
 * public key), so Juju's `image-metadata-url` can be `http://<orchestra>:5248/`. Only the
 * metadata directory is reachable: names are checked, never joined as paths.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { STREAMS_DIR } from "./simplestreams-index.ts";
import { simplestreamsDir, simplestreamsImagesDir, SIMPLESTREAMS_KEY_FILE } from "./simplestreams-publish.ts";

const FILE = /^[A-Za-z0-9][A-Za-z0-9:._-]{0,127}\.s?json$/;

async function readOrNull(path: string): Promise<Buffer | null> {
  try {
    return await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
}

/** Register the simplestreams routes on `app`. */
export async function registerSimplestreams(app: FastifyInstance, dataDir: string): Promise<void> {
  const notFound = (what: string) => ({ error: { code: "IMAGE_NOT_FOUND", message: `${what} is not published: run orchestra images simplestreams` } });
  app.get<{ Params: { file: string } }>(`/${STREAMS_DIR}/:file`, async (request, reply) => {
    const { file } = request.params;
    const body = FILE.test(file) ? await readOrNull(join(simplestreamsImagesDir(dataDir), STREAMS_DIR, file)) : null;
    if (body === null) return reply.code(404).type("application/json").send(notFound(`/${STREAMS_DIR}/${file.slice(0, 128)}`));
    return reply.type(file.endsWith(".sjson") ? "text/plain; charset=utf-8" : "application/json").send(body);
  });
  app.get(`/streams/${SIMPLESTREAMS_KEY_FILE}`, async (_request, reply) => {
    const body = await readOrNull(join(simplestreamsDir(dataDir), SIMPLESTREAMS_KEY_FILE));
    if (body === null) return reply.code(404).type("application/json").send(notFound("the signing key"));
    return reply.type("application/pgp-keys").send(body);
  });
}
