/**
 * @module fanout/torrent/piece-length
 * How big a torrent's pieces are for an image of a given size.
 */
import { OrchestraError } from "../../errors.ts";

/** The smallest piece: below it the torrent's piece list and the peers' HAVE chatter grow for nothing. */
export const MIN_PIECE_LENGTH = 256 * 1024;
/** The largest piece: a node verifies and shares a piece only once it has all of it, so huge pieces slow the swarm's start. */
export const MAX_PIECE_LENGTH = 16 * 1024 * 1024;
/** The number of pieces aimed at (at most twice this): enough for peers to trade early, a torrent file of tens of KiB. */
const TARGET_PIECES = 1000;

/**
 * A power of two between 256 KiB and 16 MiB giving about 1,000-2,000 pieces for `bytes`
 * (fewer for images under 256 MiB, more for ones over 32 GiB, where the bounds win).
 *
 * @example chooseTorrentPieceLength(300 * 2 ** 20) // 262144 (1,200 pieces)
 */
export function chooseTorrentPieceLength(bytes: number): number {
  if (!Number.isSafeInteger(bytes) || bytes < 0) throw new OrchestraError("INVALID_ARGUMENT", `an image size is a non-negative whole number of bytes, not ${bytes}`);
  let length = MIN_PIECE_LENGTH;
  while (length < MAX_PIECE_LENGTH && bytes / length > 2 * TARGET_PIECES) length *= 2;
  return length;
}
