/**
 * @module images/simplestreams-publish
 * `orchestra images simplestreams`: render the image index for Juju, sign it with
 * Orchestra's key and write it under the data directory, where `orchestra serve` serves it
 * (`/streams/v1/...` on the boot listener) and `juju bootstrap --metadata-source` can read it.
 *
 * Layout under `<data dir>/simplestreams/`: `images/streams/v1/{index,com.ubuntu.cloud:released:aws}.{json,sjson}`
 * (`images/` is where --metadata-source looks) and `orchestra-simplestreams.asc`, the public
 * key. The secret key stays in `<data dir>/simplestreams-gnupg/`, which is never served.
 */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { writeFileAtomic } from "../files/write-file-atomic.ts";
import { openGpgSigner } from "./gpg-signer.ts";
import { listImages } from "./image-store.ts";
import { awsEndpointOf, renderSimplestreams, STREAMS_DIR, type SimplestreamsCloud } from "./simplestreams-index.ts";

/** The public key's file name, in the metadata directory and on the boot listener (`/streams/<name>`). */
export const SIMPLESTREAMS_KEY_FILE = "orchestra-simplestreams.asc";

/** The metadata directory of a data directory (the `--metadata-source` for juju bootstrap). */
export function simplestreamsDir(dataDir: string): string {
  return join(dataDir, "simplestreams");
}

/** The directory whose `streams/v1/` is served. */
export function simplestreamsImagesDir(dataDir: string): string {
  return join(simplestreamsDir(dataDir), "images");
}

/** The gpg home holding the signing key. */
export function simplestreamsGnupgHome(dataDir: string): string {
  return join(dataDir, "simplestreams-gnupg");
}

/** What a publication wrote. */
export interface PublishedSimplestreams {
  readonly dir: string;
  readonly files: readonly string[];
  readonly productIds: readonly string[];
  readonly fingerprint: string;
  readonly publicKeyPath: string;
  readonly cloud: SimplestreamsCloud;
}

/** Write the signed and unsigned index of the data directory's deployable images for `region` (endpoint: AWS's for it). */
export async function publishSimplestreams(dataDir: string, options: { region: string; endpoint?: string; now?: Date }): Promise<PublishedSimplestreams> {
  const cloud = { region: options.region, endpoint: options.endpoint ?? awsEndpointOf(options.region) };
  const rendered = renderSimplestreams(await listImages(dataDir), cloud, options.now ?? new Date());
  const signer = await openGpgSigner(simplestreamsGnupgHome(dataDir));
  try {
    const base = simplestreamsImagesDir(dataDir);
    // Products before indexes: a reader never finds an index naming a file not yet written.
    const outputs: [string, string][] = [
      [rendered.products.signedPath, await signer.clearsign(rendered.products.text)],
      [rendered.products.path, rendered.products.text],
      [rendered.signedIndex.path, await signer.clearsign(rendered.signedIndex.text)],
      [rendered.index.path, rendered.index.text],
    ];
    await mkdir(join(base, STREAMS_DIR), { recursive: true });
    for (const [path, text] of outputs) await writeFileAtomic(join(base, path), text);
    const publicKeyPath = join(simplestreamsDir(dataDir), SIMPLESTREAMS_KEY_FILE);
    await writeFileAtomic(publicKeyPath, await signer.exportPublicKey());
    return { dir: simplestreamsDir(dataDir), files: outputs.map(([path]) => join(base, path)), productIds: rendered.productIds, fingerprint: signer.fingerprint, publicKeyPath, cloud };
  } finally {
    await signer.close();
  }
}
