/**
 * @module fanout/tracker/fanout-tracker
 * Orchestra's BitTorrent tracker: an HTTP tracker (BEP 3, compact replies BEP 23/7) that
 * answers only peers holding a live deployment token of the image they ask about.
 *
 *   GET /fanout/<token>/announce?info_hash=…&peer_id=…&port=…   the announce
 *   GET /fanout/health                                            "ok" (for supervisors)
 *
 * The token is in the path, so the torrent a node is handed carries its own deployment's
 * token and a stranger without one learns nothing, not even who is in a swarm. Whether a
 * token may join a swarm is decided by `authorize` (lib/deploy/fanout-authorizer.ts reads
 * the store); every refusal is answered with a bencoded failure reason and logged, and
 * changes nothing.
 *
 * Why not the npm `bittorrent-tracker` 11.2.3: its install builds the WebRTC client stack
 * it depends on (native prebuilds that fail here), for a server that needs one HTTP GET;
 * PeerTube's server-only fork pulls `ip` 2.x (CVE-2024-29415). Debian's opentracker has no
 * per-request authorization hook (only an infohash whitelist), so it could not check the
 * token. The protocol is one GET with a bencoded reply; the gate, which is the point, is ours
 * either way. The transfer itself is aria2c's, on both ends.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { parseAnnounceQuery } from "./announce-query.ts";
import { renderAnnounceFailure, renderAnnouncePeers } from "./announce-reply.ts";
import { type SwarmPeer, SwarmTable } from "./swarm-table.ts";

/** Who asks: the token from the announce URL, the swarm, and the caller's address. */
export interface AnnounceCaller {
  readonly token: string;
  readonly infoHash: string;
  readonly address: string;
}

/** The answer of an authorizer: the peer's name for the log, or why it is refused. */
export type AnnounceVerdict = { readonly label: string } | { readonly refused: string };

/** Decides whether a caller may join a swarm. */
export type FanoutAuthorizer = (caller: AnnounceCaller) => Promise<AnnounceVerdict>;

/** The log the tracker writes to (pino's shape). */
export interface FanoutLog {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  debug(fields: object, message: string): void;
}

/** How to run the tracker. */
export interface FanoutTrackerOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly authorize: FanoutAuthorizer;
  readonly log: FanoutLog;
  /** How often clients re-announce (default 15 s: a swarm of deploying nodes changes fast). */
  readonly intervalSeconds?: number;
  /** How long a peer that stopped announcing stays listed (default 3 intervals). */
  readonly peerTtlSeconds?: number;
}

/** A running tracker. */
export interface FanoutTracker {
  /** http://host:port, no trailing slash. */
  readonly url: string;
  readonly port: number;
  /** The announce URL for `token`. */
  announceUrl(token: string): string;
  /** The live peers of every swarm. */
  swarms(): Record<string, SwarmPeer[]>;
  close(): Promise<void>;
}

const ANNOUNCE_PATH = /^\/fanout\/([A-Za-z0-9_-]{1,128})\/announce$/;

/** The announce URL of a tracker at `baseUrl` for `token`. */
export function fanoutAnnounceUrl(baseUrl: string, token: string): string {
  return `${baseUrl.replace(/\/+$/, "")}/fanout/${token}/announce`;
}

function plain(address: string | undefined): string {
  return (address ?? "").replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, "");
}

/**
 * Start the tracker.
 *
 * @example
 * const tracker = await startFanoutTracker({ host: "127.0.0.1", port: 0, authorize, log });
 * tracker.announceUrl(token); // http://127.0.0.1:41234/fanout/<token>/announce
 */
export async function startFanoutTracker(options: FanoutTrackerOptions): Promise<FanoutTracker> {
  const interval = options.intervalSeconds ?? 15;
  const table = new SwarmTable((options.peerTtlSeconds ?? interval * 3) * 1000);
  const { log } = options;

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const address = plain(request.socket.remoteAddress);
    const [path = "", query = ""] = (request.url ?? "").split("?", 2);
    const refuse = (reason: string, fields: object = {}) => {
      // A refusal is a normal tracker answer (HTTP 200): clients read and show the reason.
      log.warn({ address, reason, ...fields }, `fan-out tracker: announce refused: ${reason}`);
      response.writeHead(200, { "content-type": "text/plain" }).end(renderAnnounceFailure(reason));
    };
    if (request.method !== "GET") return refuse("only GET");
    if (path === "/fanout/health") {
      response.writeHead(200, { "content-type": "text/plain" }).end("ok\n");
      return;
    }
    const token = ANNOUNCE_PATH.exec(path)?.[1];
    if (!token) return refuse("not an announce URL of this tracker");
    const announce = parseAnnounceQuery(query);
    if ("malformed" in announce) return refuse(`malformed announce: ${announce.malformed}`);
    const verdict = await options.authorize({ token, infoHash: announce.infoHash, address });
    if ("refused" in verdict) return refuse(verdict.refused, { infoHash: announce.infoHash });
    const now = Date.now();
    const peer: SwarmPeer = { peerId: announce.peerId, address, port: announce.port, label: verdict.label, uploaded: announce.uploaded, downloaded: announce.downloaded, left: announce.left, seenAt: now };
    const before = table.announce(announce.infoHash, peer, announce.event === "stopped");
    const fields = { peer: verdict.label, address: `${address}:${announce.port}`, infoHash: announce.infoHash, event: announce.event || "update", uploaded: announce.uploaded, downloaded: announce.downloaded, left: announce.left };
    if (announce.event !== "" || !before) log.info(fields, `fan-out tracker: ${verdict.label} ${announce.event || "joined"}: uploaded ${announce.uploaded} bytes, downloaded ${announce.downloaded} bytes, ${announce.left} left`);
    else log.debug(fields, "fan-out tracker: announce");
    const peers = announce.event === "stopped" ? [] : table.peers(announce.infoHash, announce.peerId, announce.numwant, now);
    response.writeHead(200, { "content-type": "text/plain" }).end(renderAnnouncePeers({ intervalSeconds: interval, peers, ...table.counts(announce.infoHash, now), compact: announce.compact }));
  };

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      log.warn({ err: error }, "fan-out tracker: announce failed");
      if (!response.headersSent) response.writeHead(200, { "content-type": "text/plain" }).end(renderAnnounceFailure("the tracker could not check this announce; try again"));
    });
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${options.host.includes(":") ? `[${options.host}]` : options.host}:${port}`;
  return {
    url,
    port,
    announceUrl: (token) => fanoutAnnounceUrl(url, token),
    swarms: () => table.snapshot(Date.now()),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
