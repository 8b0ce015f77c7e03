/**
 * @module fanout/seeder/aria2-upload-log
 * What aria2c's log (level info) says it sent: one line per 16 KiB block,
 * `CUID#13 - To: 127.0.0.1:6992 piece index=0, begin=16384, length=16384`
 * (BtPieceMessage.cc in aria2 1.36). Read here, in one place, into bytes and pieces per peer.
 */

/** One block sent to a peer. */
export interface UploadedBlock {
  /** The peer's address and port, `a.b.c.d:port` (IPv6 as aria2 prints it). */
  readonly peer: string;
  readonly piece: number;
  readonly bytes: number;
}

const SENT = /- To: (\S+):(\d+) piece index=(\d+), begin=\d+, length=(\d+)/;

/** The block a log line records as sent, if it records one. */
export function parseUploadedBlock(line: string): UploadedBlock | undefined {
  const match = SENT.exec(line);
  if (!match) return undefined;
  return { peer: `${match[1]}:${match[2]}`, piece: Number(match[3]), bytes: Number(match[4]) };
}

/** Totals per peer: bytes sent and distinct pieces touched. */
export class UploadTally {
  readonly #peers = new Map<string, { bytes: number; pieces: Set<number> }>();

  add(block: UploadedBlock): void {
    const entry = this.#peers.get(block.peer) ?? { bytes: 0, pieces: new Set<number>() };
    entry.bytes += block.bytes;
    entry.pieces.add(block.piece);
    this.#peers.set(block.peer, entry);
  }

  /** Every peer sent to so far. */
  totals(): Array<{ peer: string; bytes: number; pieces: number }> {
    return [...this.#peers].map(([peer, { bytes, pieces }]) => ({ peer, bytes, pieces: pieces.size }));
  }

  /** All bytes sent, to everyone. */
  bytes(): number {
    let sum = 0;
    for (const { bytes } of this.#peers.values()) sum += bytes;
    return sum;
  }
}
