/**
 * @module images/simplestreams-index
 * The simplestreams image metadata Juju's EC2 provider reads to choose an `ami-` id (it never
 * calls DescribeImages): an index (`index:1.0`) naming one products file
 * (`products:1.0`, content id `com.ubuntu.cloud:released:aws`, datatype `image-ids`) whose
 * items carry the fields Juju's ImageMetadata decodes: id, root_store, virt, region,
 * endpoint. Pure: images and the cloud in, file contents out; signing is another module.
 */
import { OrchestraError } from "../errors.ts";
import type { BootImage } from "./boot-image.ts";

/** The content id Juju's aws provider looks for, as cloud-images.ubuntu.com publishes it. */
export const IMAGE_CONTENT_ID = "com.ubuntu.cloud:released:aws";
/** Where the files live under the metadata base URL (Juju appends these paths to image-metadata-url). */
export const STREAMS_DIR = "streams/v1";
const PRODUCTS_FILE = `${IMAGE_CONTENT_ID}`;

/** The cloud the index is for: Juju matches region and endpoint exactly (a trailing "/" aside). */
export interface SimplestreamsCloud {
  readonly region: string;
  readonly endpoint: string;
}

/** Release names → the version Juju's product ids carry (`com.ubuntu.cloud:server:<version>:<arch>`). */
const RELEASE_VERSIONS: Readonly<Record<string, string>> = {
  focal: "20.04",
  jammy: "22.04",
  noble: "24.04",
  bullseye: "11",
  bookworm: "12",
  trixie: "13",
};

/** The version of a release name (an unknown release is used as its own version). */
export function releaseVersion(release: string): string {
  return RELEASE_VERSIONS[release] ?? release;
}

/** The endpoint Juju's built-in `aws` cloud names for a region: what the index must say to match. */
export function awsEndpointOf(region: string): string {
  return `https://ec2.${region}.amazonaws.com`;
}

/** The files of one stream, by path under the base URL; `.json` only (the signed `.sjson` are made from them). */
export interface SimplestreamsFiles {
  /** Unsigned index, pointing at the unsigned products file. */
  readonly index: { path: string; text: string };
  /** The index for the signed form, pointing at the signed products file. */
  readonly signedIndex: { path: string; text: string };
  readonly products: { path: string; signedPath: string; text: string };
  /** The product ids, one per (version, arch). */
  readonly productIds: readonly string[];
}

/** Whether an image can be deployed to a real machine, and so belongs in the index. */
export function isDeployable(image: BootImage): boolean {
  return image.role === "os" && image.files.root !== undefined;
}

/** Render the index and products files for the deployable images among `images`. */
export function renderSimplestreams(images: readonly BootImage[], cloud: SimplestreamsCloud, updated: Date): SimplestreamsFiles {
  if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(cloud.region)) throw new OrchestraError("INVALID_ARGUMENT", `invalid region ${JSON.stringify(cloud.region)}: lower-case letters, digits and '-'`);
  if (!/^https?:\/\/[^\s"]+$/.test(cloud.endpoint)) throw new OrchestraError("INVALID_ARGUMENT", `invalid endpoint ${JSON.stringify(cloud.endpoint)}: expected an http(s) URL`);
  const deployable = images.filter(isDeployable);
  if (deployable.length === 0) throw new OrchestraError("IMAGE_NOT_FOUND", "no deployable image: build or import an os image with a root disk image first (orchestra images build-os)");
  // simplestreams dates are RFC 2822, as cloud-images.ubuntu.com writes them.
  const stamp = updated.toUTCString().replace("GMT", "+0000");
  const products: Record<string, { release: string; version: string; arch: string; versions: Record<string, { items: Record<string, object> }> }> = {};
  for (const image of [...deployable].sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id))) {
    const version = releaseVersion(image.release);
    const productId = `com.ubuntu.cloud:server:${version}:${image.architecture}`;
    const product = (products[productId] ??= { release: image.release, version, arch: image.architecture, versions: {} });
    // Juju takes the newest version (YYYYMMDD, compared as text) of each product.
    const serial = image.createdAt.slice(0, 10).replaceAll("-", "");
    const collection = (product.versions[serial] ??= { items: {} });
    collection.items[image.id] = { id: image.id, root_store: "ebs", virt: "hvm", region: cloud.region, endpoint: cloud.endpoint, crsn: cloud.region };
  }
  const productIds = Object.keys(products).sort();
  const productsPath = `${STREAMS_DIR}/${PRODUCTS_FILE}.json`;
  const signedProductsPath = `${STREAMS_DIR}/${PRODUCTS_FILE}.sjson`;
  const productsText = json({ content_id: IMAGE_CONTENT_ID, format: "products:1.0", datatype: "image-ids", updated: stamp, products });
  const index = (path: string) =>
    json({
      format: "index:1.0",
      updated: stamp,
      index: {
        [IMAGE_CONTENT_ID]: { updated: stamp, format: "products:1.0", datatype: "image-ids", cloudname: "aws", clouds: [{ region: cloud.region, endpoint: cloud.endpoint }], path, products: productIds },
      },
    });
  return {
    index: { path: `${STREAMS_DIR}/index.json`, text: index(productsPath) },
    signedIndex: { path: `${STREAMS_DIR}/index.sjson`, text: index(signedProductsPath) },
    products: { path: productsPath, signedPath: signedProductsPath, text: productsText },
    productIds,
  };
}

function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
