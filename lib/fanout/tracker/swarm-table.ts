/**
 * @module fanout/tracker/swarm-table
 * The tracker's memory: who is in which swarm, and what each peer says it has moved. Peers
 * that stop announcing drop out after `ttlMs`, so a node that died mid-swarm stops being
 * handed to the others (their client gives up on it sooner anyway).
 */

/** A peer as the tracker knows it. */
export interface SwarmPeer {
  readonly peerId: string;
  readonly address: string;
  readonly port: number;
  /** Who the peer is for the log: a machine's system id, or "server". */
  readonly label: string;
  readonly uploaded: number;
  readonly downloaded: number;
  readonly left: number;
  readonly seenAt: number;
}

/** Peers by infohash, then by peer id. */
export class SwarmTable {
  readonly #swarms = new Map<string, Map<string, SwarmPeer>>();
  readonly #ttlMs: number;

  constructor(ttlMs: number) {
    this.#ttlMs = ttlMs;
  }

  /** Record an announce (or remove the peer when it says it stopped); the peer's previous entry, if any. */
  announce(infoHash: string, peer: SwarmPeer, stopped: boolean): SwarmPeer | undefined {
    const swarm = this.#swarms.get(infoHash) ?? new Map<string, SwarmPeer>();
    const before = swarm.get(peer.peerId);
    if (stopped) swarm.delete(peer.peerId);
    else swarm.set(peer.peerId, peer);
    if (swarm.size === 0) this.#swarms.delete(infoHash);
    else this.#swarms.set(infoHash, swarm);
    return before;
  }

  /** The live peers of a swarm other than `peerId`, at most `limit`, in random order. */
  peers(infoHash: string, peerId: string, limit: number, now: number): SwarmPeer[] {
    const live = this.#live(infoHash, now).filter((p) => p.peerId !== peerId);
    for (let i = live.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [live[i], live[j]] = [live[j]!, live[i]!];
    }
    return live.slice(0, limit);
  }

  /** Seeders (left = 0) and leechers of a swarm. */
  counts(infoHash: string, now: number): { complete: number; incomplete: number } {
    const live = this.#live(infoHash, now);
    const complete = live.filter((p) => p.left === 0).length;
    return { complete, incomplete: live.length - complete };
  }

  /** Every live peer, by infohash (for a status view and tests). */
  snapshot(now: number): Record<string, SwarmPeer[]> {
    return Object.fromEntries([...this.#swarms.keys()].map((hash) => [hash, this.#live(hash, now)]));
  }

  #live(infoHash: string, now: number): SwarmPeer[] {
    const swarm = this.#swarms.get(infoHash);
    if (!swarm) return [];
    for (const [id, peer] of swarm) if (now - peer.seenAt > this.#ttlMs) swarm.delete(id);
    return [...swarm.values()];
  }
}
