/**
 * @module puppet/autosign-route
 * The autosign policy over HTTP, for a puppetserver that may not open Orchestra's store (it
 * runs as `puppet`; the store is root's): `POST /puppet/autosign/<certname>` with the CSR as
 * the body answers 200 `{"sign":true}` or 403 with the reason. Only loopback may ask, so only
 * the puppet server on the same host spends challenges.
 */
import type { FastifyPluginAsync } from "fastify";
import { sourceAddress } from "../metadata/source-address.ts";
import type { SqlDatabase } from "../store/sql-database.ts";
import { decideAutosign } from "./autosign-policy.ts";

/** The route's path prefix. */
export const AUTOSIGN_PATH = "/puppet/autosign";

const CERTNAME = /^[A-Za-z0-9._-]{1,253}$/;

/** Register on the boot listener: `app.register(autosignRoute, { db })`. */
export const autosignRoute: FastifyPluginAsync<{ db: SqlDatabase }> = async (app, options) => {
  app.addContentTypeParser(["application/x-pem-file", "text/plain"], { parseAs: "string", bodyLimit: 64 * 1024 }, (_request, body, done) => done(null, body));
  app.post<{ Params: { certname: string }; Body: string }>(`${AUTOSIGN_PATH}/:certname`, async (request, reply) => {
    if (!sourceAddress(request).startsWith("127.")) return reply.code(403).send({ sign: false, reason: "only the local puppet server may ask" });
    const { certname } = request.params;
    if (!CERTNAME.test(certname) || typeof request.body !== "string") return reply.code(400).send({ sign: false, reason: "a certname and a PEM CSR body" });
    const decision = await decideAutosign(options.db, certname, request.body);
    request.log.info({ certname, ...decision }, decision.sign ? "autosign: signed" : "autosign: not signed");
    return reply.code(decision.sign ? 200 : 403).send(decision);
  });
};
