/**
 * @module deploy/fanout-torrents
 * The deployment side of fan-out (lib/fanout): the torrent of a deployment's image, whose
 * announce URL carries the deployment's token, and the tracker's check that an announce comes
 * from a deployment in flight of that very image.
 */
import { OrchestraError } from "../errors.ts";
// From the modules themselves, not lib/fanout's index: that also loads the seeder and its
// child-process library (execa), which `orchestra serve` needs only when it seeds images.
import { createImageTorrent, type ImageTorrent, imageTorrentCachePath } from "../fanout/torrent/image-torrent.ts";
import { fanoutAnnounceUrl, type FanoutAuthorizer } from "../fanout/tracker/fanout-tracker.ts";
import { chooseTorrentPieceLength } from "../fanout/torrent/piece-length.ts";
import { getImage, imageFilePath } from "../images/image-store.ts";
import type { Inventory } from "../inventory/inventory.ts";
import { isDeployToken } from "./deploy-token.ts";
import { deploymentByToken } from "./deployment-rows.ts";

/** The torrent's file name: the same for every deployment of the image. */
export function imageTorrentName(imageId: string): string {
  return `${imageId}.img`;
}

/** The torrent of image `imageId`'s disk image file, announcing to `trackerUrl` with `token`. */
export async function deploymentImageTorrent(dataDir: string, imageId: string, trackerUrl: string, token: string): Promise<ImageTorrent> {
  const image = await getImage(dataDir, imageId).catch(() => undefined);
  const root = image?.files.root;
  if (!root) throw new OrchestraError("DEPLOYMENT_NOT_ACTIVE", `image ${imageId} has no disk image file to make a torrent of`);
  const pieceLength = chooseTorrentPieceLength(root.sizeBytes);
  return createImageTorrent({
    path: imageFilePath(dataDir, imageId, "root"),
    name: imageTorrentName(imageId),
    announceUrl: fanoutAnnounceUrl(trackerUrl, token),
    pieceLength,
    cachePath: imageTorrentCachePath(dataDir, root.sha256, pieceLength),
  });
}

/**
 * The tracker's gate over the store: a token joins the swarm of an image only while its
 * deployment of that image is in flight (machine still deploying for it, the node has not
 * failed or booted), and only from the address the token is bound to once one is. The
 * server's seeder joins with `seederKey`, a secret it was handed at start.
 */
export function deploymentAuthorizer(inventory: Inventory, dataDir: string, seederKey: string | undefined): FanoutAuthorizer {
  const hashes = new Map<string, string>();
  const infoHashOf = async (imageId: string): Promise<string> => {
    const known = hashes.get(imageId);
    if (known) return known;
    const { infoHash } = await deploymentImageTorrent(dataDir, imageId, "http://unused", "x");
    hashes.set(imageId, infoHash);
    return infoHash;
  };
  return async ({ token, infoHash, address }) => {
    if (seederKey !== undefined && token === seederKey) return { label: "server" };
    if (!isDeployToken(token)) return { refused: "no deployment has that token" };
    const deployment = await deploymentByToken(inventory.db, token);
    if (!deployment) return { refused: "no deployment has that token" };
    const machine = await inventory.getMachine(deployment.systemId).catch(() => undefined);
    if (!machine || machine.status !== "deploying" || machine.statusChangedAt !== deployment.enteredAt || !["planned", "writing", "written"].includes(deployment.phase)) {
      return { refused: `the deployment on ${deployment.systemId} is over` };
    }
    if (deployment.boundAddress !== null && deployment.boundAddress !== address) return { refused: `the deployment on ${deployment.systemId} is bound to another address` };
    const wanted = await infoHashOf(deployment.imageId).catch(() => undefined);
    if (wanted !== infoHash) return { refused: `that is not the torrent of the image ${deployment.systemId} is deploying` };
    return { label: deployment.systemId };
  };
}
