/**
 * @module fanout/tracker/announce-reply
 * What a tracker answers (bencoded): the swarm's peers, or a failure reason that a client
 * shows and stops on.
 */
import { isIPv4, isIPv6 } from "node:net";
import bencode from "bencode";

/** A peer in a reply. */
export interface ReplyPeer {
  readonly address: string;
  readonly port: number;
  readonly peerId: string;
}

/** A refusal, as BitTorrent clients read it. */
export function renderAnnounceFailure(reason: string): Uint8Array {
  return bencode.encode({ "failure reason": reason });
}

function compactPeer(peer: ReplyPeer): Buffer {
  const port = Buffer.alloc(2);
  port.writeUInt16BE(peer.port);
  const bytes = isIPv4(peer.address) ? peer.address.split(".").map(Number) : expandIPv6(peer.address);
  return Buffer.concat([Buffer.from(bytes), port]);
}

function expandIPv6(address: string): number[] {
  const [head = "", tail = ""] = address.split("::");
  const words = (text: string) => (text === "" ? [] : text.split(":").map((w) => parseInt(w, 16)));
  const front = words(head);
  const back = address.includes("::") ? words(tail) : [];
  const all = [...front, ...new Array(8 - front.length - back.length).fill(0), ...back];
  return all.flatMap((w) => [w >> 8, w & 0xff]);
}

/** The peers of a swarm: compact (BEP 23, `peers` IPv4 and BEP 7 `peers6`) or as a list of dictionaries. */
export function renderAnnouncePeers(options: { intervalSeconds: number; peers: readonly ReplyPeer[]; complete: number; incomplete: number; compact: boolean }): Uint8Array {
  const { peers } = options;
  const head = { interval: options.intervalSeconds, "min interval": Math.max(1, Math.floor(options.intervalSeconds / 2)), complete: options.complete, incomplete: options.incomplete };
  if (!options.compact) {
    return bencode.encode({ ...head, peers: peers.map((p) => ({ ip: p.address, port: p.port, "peer id": Buffer.from(p.peerId, "hex") })) });
  }
  return bencode.encode({
    ...head,
    peers: Buffer.concat(peers.filter((p) => isIPv4(p.address)).map(compactPeer)),
    peers6: Buffer.concat(peers.filter((p) => isIPv6(p.address)).map(compactPeer)),
  });
}
