/**
 * @module fanout
 * Peer-to-peer image fan-out (BitTorrent, issue 17): the private torrent of an image, the
 * token-gated tracker, and aria2c as the seeder on the server (and the client in the deploy
 * ramdisk). See docs/deploy.md, "Fan-out (BitTorrent)".
 */
export { chooseTorrentPieceLength, MAX_PIECE_LENGTH, MIN_PIECE_LENGTH } from "./torrent/piece-length.ts";
export { createImageTorrent, type ImageTorrent, imageTorrentCachePath, type ImageTorrentOptions } from "./torrent/image-torrent.ts";
export { describeTorrent, type TorrentDescription } from "./torrent/describe-torrent.ts";
export { type AnnounceQuery, parseAnnounceQuery } from "./tracker/announce-query.ts";
export { renderAnnounceFailure, renderAnnouncePeers, type ReplyPeer } from "./tracker/announce-reply.ts";
export { type AnnounceCaller, type AnnounceVerdict, fanoutAnnounceUrl, type FanoutAuthorizer, type FanoutLog, type FanoutTracker, type FanoutTrackerOptions, startFanoutTracker } from "./tracker/fanout-tracker.ts";
export { type SwarmPeer, SwarmTable } from "./tracker/swarm-table.ts";
export { ARIA2_PRIVATE_SWARM_ARGUMENTS, aria2DownloadArguments, type Aria2DownloadOptions, aria2SeedArguments, type Aria2SeedOptions } from "./aria2/aria2-arguments.ts";
export { parseUploadedBlock, type UploadedBlock, UploadTally } from "./seeder/aria2-upload-log.ts";
export { type ImageSeeder, type ImageSeederOptions, startImageSeeder } from "./seeder/image-seeder.ts";
