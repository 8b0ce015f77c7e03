/**
 * @module metadata/metadata-service
 * The instance metadata service as a fastify plugin, on the boot listener (5248; nothing
 * binds 169.254.169.254:80, see docs/metadata.md): EC2's `/latest/meta-data/...`,
 * `/latest/user-data`, `/latest/dynamic/instance-identity/document`, IMDSv2 tokens, and
 * NoCloud at `/nocloud/<secret>/`. Every answer is about the asking node only: it is found
 * by the connection's source address (or by the NoCloud secret), never by anything in the
 * path, so there is no way to name another node.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import { isOrchestraError } from "../errors.ts";
import { ImdsTokens } from "./imds-token.ts";
import type { InstanceMetadata, MetadataSource } from "./metadata-source.ts";
import { lookup, versionTree } from "./metadata-tree.ts";
import { nocloudMetaData } from "./nocloud.ts";
import { isNocloudSecret } from "./nocloud-secret.ts";
import { sourceAddress } from "./source-address.ts";

/** The metadata versions served; all serve the same tree. cloud-init probes these. */
export const METADATA_VERSIONS = ["1.0", "2009-04-04", "2016-09-02", "2018-09-24", "2021-03-23", "latest"] as const;

/** Options of the metadata service. */
export interface MetadataServiceOptions {
  readonly source: MetadataSource;
  /** Refuse requests without an IMDSv2 token (EC2's HttpTokens=required); default: v1 and v2. */
  readonly requireToken?: boolean;
  readonly tokens?: ImdsTokens;
  /**
   * Renew the asking node's client certificate for the key its CSR is signed with
   * (lib/pki/renew-node-certificate.ts): `POST /orchestra/node-certificate`. Absent, the
   * route answers 404 (no site CA, no node certificates).
   */
  readonly renewNodeCertificate?: (instanceId: string, csrPem: string) => Promise<{ certPem: string; renewed: boolean }>;
}

/** Where a node posts its CSR to renew its client certificate (docs/managed-nodes.md). */
export const NODE_CERTIFICATE_PATH = "/orchestra/node-certificate";

/** A path of plain segments only: no encoding, no dot segments, no empty segments. */
const SAFE_PATH = /^\/[A-Za-z0-9.-]+(?:\/[A-Za-z0-9_=-][A-Za-z0-9._=-]*)*\/?$/;

const NO_STORE = "no-store";

function text(reply: FastifyReply, status: number, body: string): FastifyReply {
  return reply.code(status).header("cache-control", NO_STORE).type("text/plain; charset=utf-8").send(body);
}

function bytes(reply: FastifyReply, body: Uint8Array): FastifyReply {
  return reply.code(200).header("cache-control", NO_STORE).type("application/octet-stream").send(Buffer.from(body));
}

function notFound(reply: FastifyReply): FastifyReply {
  return text(reply, 404, "Not Found\n");
}

/** The service; register it on a fastify instance: `app.register(metadataService, { source })`. */
export const metadataService: FastifyPluginAsync<MetadataServiceOptions> = async (app, options) => {
  const { source } = options;
  const tokens = options.tokens ?? new ImdsTokens();
  const requireToken = options.requireToken ?? false;

  /** The asking node's own metadata, after the token rules; undefined once a reply is sent. */
  const whoAsks = async (request: FastifyRequest, reply: FastifyReply): Promise<{ md: InstanceMetadata; address: string } | undefined> => {
    const address = sourceAddress(request);
    const md = await source.findByAddress(address);
    if (!md) {
      notFound(reply);
      return undefined;
    }
    const token = request.headers["x-aws-ec2-metadata-token"];
    if (token !== undefined || requireToken) {
      try {
        tokens.verify(token, address, md.instanceId);
      } catch (error) {
        if (!isOrchestraError(error, "IMDS_TOKEN_INVALID")) throw error;
        text(reply, 401, `${error.message}\n`);
        return undefined;
      }
    }
    return { md, address };
  };

  const serveVersion = async (request: FastifyRequest, reply: FastifyReply) => {
    const path = request.url.split("?")[0]!;
    if (path.length > 512 || !SAFE_PATH.test(path)) return notFound(reply);
    const segments = path.split("/").slice(1);
    const wantsListing = path.endsWith("/");
    if (wantsListing) segments.pop();
    if (segments.some((s) => s === "." || s === "..")) return notFound(reply);
    const asker = await whoAsks(request, reply);
    if (!asker) return reply;
    const rest = segments.slice(1);
    if (rest.length === 1 && rest[0] === "user-data") {
      if (wantsListing || !asker.md.userData) return notFound(reply);
      return bytes(reply, asker.md.userData);
    }
    const answer = lookup(versionTree(asker.md), rest, wantsListing || rest.length === 0);
    if (!answer) return notFound(reply);
    return text(reply, 200, answer.body);
  };

  for (const version of METADATA_VERSIONS) {
    app.get(`/${version}`, serveVersion);
    app.get(`/${version}/*`, serveVersion);
  }

  app.put("/latest/api/token", async (request, reply) => {
    // EC2 refuses token requests that went through a proxy, so a forwarded request cannot
    // obtain a token meant for the proxy's own address.
    if (request.headers["x-forwarded-for"] !== undefined) return text(reply, 403, "Forbidden: forwarded token requests are refused\n");
    let ttl: number;
    try {
      ttl = ImdsTokens.parseTtl(request.headers["x-aws-ec2-metadata-token-ttl-seconds"]);
    } catch (error) {
      if (!isOrchestraError(error)) throw error;
      return text(reply, 400, `${error.message}\n`);
    }
    const address = sourceAddress(request);
    const md = await source.findByAddress(address);
    if (!md) return notFound(reply);
    reply.header("x-aws-ec2-metadata-token-ttl-seconds", String(ttl));
    return text(reply, 200, tokens.issue(address, md.instanceId, ttl));
  });

  // A node renews its own certificate: who it is comes from the connection's source address,
  // as for every other answer here, so a node can renew only its own, and only for its own key.
  app.addContentTypeParser(["application/x-pem-file", "text/plain"], { parseAs: "string", bodyLimit: 16 * 1024 }, (_request, body, done) => done(null, body));
  app.post<{ Body: unknown }>(NODE_CERTIFICATE_PATH, async (request, reply) => {
    const renew = options.renewNodeCertificate;
    if (!renew) return notFound(reply);
    const asker = await whoAsks(request, reply);
    if (!asker) return reply;
    if (typeof request.body !== "string") return text(reply, 400, "PKI_INVALID: the body is a PEM certificate request (content-type application/x-pem-file)\n");
    try {
      const renewed = await renew(asker.md.instanceId, request.body);
      request.log.info({ instanceId: asker.md.instanceId, renewed: renewed.renewed }, renewed.renewed ? "node certificate renewed" : "node certificate not due for renewal");
      return reply.code(200).header("cache-control", NO_STORE).type("application/x-pem-file").send(renewed.certPem);
    } catch (error) {
      if (isOrchestraError(error, "PKI_INVALID")) return text(reply, 403, `${error.code}: ${error.message}\n`);
      if (isOrchestraError(error, "INSTANCE_NOT_FOUND")) return notFound(reply);
      throw error;
    }
  });

  // The secret is in the path: these routes log at warn only, so it never reaches an
  // access log, and they report their own failures without the URL.
  app.get<{ Params: { secret: string; file: string } }>("/nocloud/:secret/:file", { logLevel: "warn" }, async (request, reply) => {
    const { secret, file } = request.params;
    if (!isNocloudSecret(secret)) return notFound(reply);
    let md: InstanceMetadata | undefined;
    try {
      md = await source.findByNocloudSecret(secret);
    } catch (error) {
      request.log.error({ err: error, route: "/nocloud/<secret>/" }, "metadata source failed");
      return text(reply, 500, "Internal Server Error\n");
    }
    // The secret alone is enough once: the first address that uses it holds the instance,
    // and once the node's address is known, only that address is answered.
    if (!md) return notFound(reply);
    const address = sourceAddress(request);
    if (md.localIpv4 === null && source.claimNocloudAddress) {
      if (!(await source.claimNocloudAddress(md.instanceId, address))) return notFound(reply);
    } else if (md.localIpv4 !== null && md.localIpv4 !== address) return notFound(reply);
    switch (file) {
      case "meta-data":
        return text(reply, 200, nocloudMetaData(md));
      case "user-data":
        return bytes(reply, md.userData ?? new Uint8Array());
      case "vendor-data":
        return text(reply, 200, md.vendorData ?? "");
      default:
        return notFound(reply);
    }
  });
};
