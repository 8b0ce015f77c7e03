/**
 * @module ec2/model/image-catalogue
 * The boot images RunInstances accepts, as `ami-` ids. Until the images issue imports real
 * ones, Orchestra knows the Ubuntu LTS releases it can deploy; their ids derive from their
 * names, so they are the same on every Orchestra.
 */
import { derivedResourceId } from "./resource-ids.ts";

/** One image. */
export interface Image {
  readonly imageId: string;
  readonly name: string;
  readonly description: string;
  /** Debian architecture name, as machines record it. */
  readonly debianArchitecture: string;
  /** EC2 architecture name. */
  readonly architecture: string;
  readonly creationDate: string;
  /**
   * Whether a real machine can be given it: an image in the image store with a disk image
   * file. The built-in catalogue names releases only; fake (test-only) machines take those.
   */
  readonly deployable: boolean;
  /**
   * The smallest disk the image fits on, in bytes: what its disk image fills once written
   * (a compressed file's uncompressed size, from the format's own records). RunInstances and
   * `machines deploy` never allocate a machine with less.
   */
  readonly minDiskBytes?: number;
  /** The least memory, in MiB, a machine needs for the image; never allocated with less. */
  readonly minMemoryMib?: number;
}

const RELEASES = [
  { series: "focal", version: "20.04", created: "2020-04-23T00:00:00.000Z" },
  { series: "jammy", version: "22.04", created: "2022-04-21T00:00:00.000Z" },
  { series: "noble", version: "24.04", created: "2024-04-25T00:00:00.000Z" },
];

/** Debian architecture name → EC2 architecture name. */
export function ec2Architecture(debian: string): string {
  return { amd64: "x86_64", arm64: "arm64", i386: "i386" }[debian] ?? debian;
}

/** Every image Orchestra can deploy. */
export const IMAGES: readonly Image[] = RELEASES.flatMap((release) =>
  ["amd64", "arm64"].map((arch) => {
    const name = `ubuntu/images/ubuntu-${release.series}-${release.version}-${arch}-server`;
    return {
      imageId: derivedResourceId("ami", name),
      name,
      description: `Ubuntu ${release.version} LTS (${release.series}) for ${arch}: catalogue entry without a disk image, TEST ONLY (fake machines take it; real machines need an image from orchestra images build-os)`,
      debianArchitecture: arch,
      architecture: ec2Architecture(arch),
      creationDate: release.created,
      deployable: false,
    };
  }),
).sort((a, b) => (a.imageId < b.imageId ? -1 : 1));

/** An image by id, or undefined. */
export function findImage(imageId: string): Image | undefined {
  return IMAGES.find((image) => image.imageId === imageId);
}
