/**
 * @module maas/model/boot-resources
 * The operating systems a MAAS client can deploy: the image store's `os` images (which real
 * machines take) and the built-in Ubuntu catalogue (names only: fake, test-only machines take
 * those). MAAS names them `osystem/series` and answers them as boot resources; `deploy`
 * picks one by `distro_series` and the machine's architecture.
 */
import { IMAGES } from "../../ec2/model/image-catalogue.ts";
import { listImages } from "../../images/image-store.ts";
import { MAAS_API_PATH } from "./maas-services.ts";

/** One deployable OS release for one architecture. */
export interface MaasImage {
  readonly imageId: string;
  readonly osystem: string;
  readonly series: string;
  /** Debian architecture name. */
  readonly architecture: string;
  readonly deployable: boolean;
  /** What the image fills once written, in bytes, and the memory it needs, when the store knows them. */
  readonly minDiskBytes?: number;
  readonly minMemoryMib?: number;
}

/** Where the images come from; read on every call, so an import shows at once. */
export type MaasImageSource = () => Promise<readonly MaasImage[]>;

/** The catalogue's Ubuntu releases, from their names (`ubuntu/images/ubuntu-jammy-22.04-amd64-server`). */
export function catalogueImages(): MaasImage[] {
  return IMAGES.flatMap((image) => {
    const match = /ubuntu-([a-z]+)-/.exec(image.name);
    return match ? [{ imageId: image.imageId, osystem: "ubuntu", series: match[1]!, architecture: image.debianArchitecture, deployable: false }] : [];
  });
}

/** The image store under `dataDir` (newest first), then the catalogue. */
export function storeMaasImages(dataDir: string | undefined): MaasImageSource {
  return async () => {
    const stored = dataDir === undefined ? [] : (await listImages(dataDir)).filter((image) => image.role === "os").reverse();
    return [
      ...stored.map((image) => ({
        imageId: image.id,
        // Orchestra's own builds are named after their OS (`debian-bookworm-...`).
        osystem: /^[a-z]+/.exec(image.name.toLowerCase())?.[0] ?? "custom",
        series: image.release,
        architecture: image.architecture,
        deployable: image.files.root !== undefined,
        ...(image.files.root ? { minDiskBytes: image.minDiskBytes ?? image.files.root.sizeBytes } : {}),
        ...(image.minMemoryMib ? { minMemoryMib: image.minMemoryMib } : {}),
      })),
      ...catalogueImages(),
    ];
  };
}

/** The image `distro_series` names (`jammy` or `ubuntu/jammy`) for `architecture`, deployable ones first. */
export function chooseImage(images: readonly MaasImage[], series: string, architecture: string): MaasImage | undefined {
  const [osystem, name] = series.includes("/") ? series.split("/", 2) : [undefined, series];
  const fits = images.filter((i) => i.series === name && i.architecture === architecture && (osystem === undefined || i.osystem === osystem));
  return fits.find((i) => i.deployable) ?? fits[0];
}

/** The boot resources list: one per OS release and architecture. */
export function bootResourcesJson(images: readonly MaasImage[]): object[] {
  const seen = new Map<string, MaasImage>();
  for (const image of images) {
    const key = `${image.osystem}/${image.series} ${image.architecture}`;
    if (!seen.has(key)) seen.set(key, image);
  }
  return [...seen.values()].map((image, index) => ({
    id: index + 1,
    type: image.deployable ? "Uploaded" : "Synced",
    name: `${image.osystem}/${image.series}`,
    architecture: `${image.architecture}/generic`,
    subarches: "generic",
    kflavor: "generic",
    resource_uri: `${MAAS_API_PATH}/boot-resources/${index + 1}/`,
  }));
}
