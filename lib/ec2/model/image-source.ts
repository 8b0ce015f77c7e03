/**
 * @module ec2/model/image-source
 * The images EC2 offers: the image store's deployable (`os`) images, which a real machine can
 * be given, and the built-in release catalogue. One list for RunInstances, DescribeImages and
 * CreateTags, so what one action accepts the others know.
 */
import { listImages } from "../../images/image-store.ts";
import type { Inventory } from "../../inventory/inventory.ts";
import { ec2Architecture, IMAGES, type Image } from "./image-catalogue.ts";

/** Where the image store's images come from; read on every call, so an import shows at once. */
export type ImageSource = () => Promise<readonly Image[]>;

/** The image store under `dataDir`: its `os` images, as EC2 images. */
export function storeImageSource(dataDir: string): ImageSource {
  return async () =>
    (await listImages(dataDir))
      .filter((image) => image.role === "os")
      .map((image) => ({
        imageId: image.id,
        name: image.name,
        description: `${image.name} (${image.release}, ${image.architecture}), from ${image.source}`,
        debianArchitecture: image.architecture,
        architecture: ec2Architecture(image.architecture),
        creationDate: image.createdAt,
        deployable: image.files.root !== undefined,
        // Records from before Orchestra read the format's own size: the file's size is a floor.
        ...(image.files.root ? { minDiskBytes: image.minDiskBytes ?? image.files.root.sizeBytes } : {}),
        ...(image.minMemoryMib ? { minMemoryMib: image.minMemoryMib } : {}),
      }));
}

/** Every image on offer: the store's first, then the catalogue, ordered by id. */
export async function availableImages(source: ImageSource | undefined): Promise<Image[]> {
  const stored = source ? await source() : [];
  return [...stored, ...IMAGES].sort((a, b) => (a.imageId < b.imageId ? -1 : a.imageId > b.imageId ? 1 : 0));
}

/** One image by id, or undefined. */
export async function findAvailableImage(source: ImageSource | undefined, imageId: string): Promise<Image | undefined> {
  return (await availableImages(source)).find((image) => image.imageId === imageId);
}

/**
 * The images DescribeImages lists: those a machine of this site can be given. A real machine
 * takes only an image with a disk image file; the release catalogue (names without files) is
 * shown only where test-only (fake) machines exist, since only they take it. Asking for
 * every image a newcomer might pick, each listed one deploys.
 */
export async function imagesOnOffer(source: ImageSource | undefined, inventory: Pick<Inventory, "db" | "powerTypes">): Promise<Image[]> {
  const images = await availableImages(source);
  if (images.every((image) => image.deployable)) return images;
  const testOnly = inventory.powerTypes.names().filter((name) => inventory.powerTypes.get(name).testOnly);
  const placeholders = testOnly.map((_, i) => `$${i + 1}`).join(", ");
  const fake = testOnly.length > 0 && (await inventory.db.get(`SELECT 1 AS found FROM machines WHERE power_type IN (${placeholders}) LIMIT 1`, testOnly)) !== undefined;
  return fake ? images : images.filter((image) => image.deployable);
}
