/**
 * @module images/boot-image
 * What a boot image set is: a kernel, an initrd and optionally a root image, with the role
 * it plays on the boot path and an `ami-` id that the EC2 front door lists.
 */
import { randomBytes } from "node:crypto";

/** The part an image plays when a machine network-boots. */
export const IMAGE_ROLES = ["discovery", "commissioning", "deploy", "installer", "os"] as const;

/** An image's role. */
export type ImageRole = (typeof IMAGE_ROLES)[number];

/** The files of an image, by the name each is stored and served under. */
export const IMAGE_FILE_NAMES = ["kernel", "initrd", "root"] as const;

/** One of an image's files. */
export type ImageFileName = (typeof IMAGE_FILE_NAMES)[number];

/** A stored file of an image. */
export interface ImageFile {
  readonly sizeBytes: number;
  readonly sha256: string;
}

/** A registered boot image set. */
export interface BootImage {
  readonly id: string;
  readonly name: string;
  readonly role: ImageRole;
  readonly release: string;
  readonly architecture: string;
  readonly files: Readonly<Partial<Record<ImageFileName, ImageFile>>> & { readonly kernel: ImageFile; readonly initrd: ImageFile };
  /** Where it came from: a directory, `deb:<package>` or a URL. */
  readonly source: string;
  /**
   * For a disk image (an `os` image's `root`): the 1-based number of the partition holding
   * the root file system, which the deploy step opens to write the machine's seed config.
   */
  readonly rootPartition?: number;
  /**
   * For an image with a `root`: the disk it fills once written, in bytes, from the disk image
   * format's own records (a compressed file's uncompressed size). Records written before
   * Orchestra kept it lack it; the file's size stands in for them.
   */
  readonly minDiskBytes?: number;
  /** The least memory, in MiB, a machine must have to deploy and run the image, when known. */
  readonly minMemoryMib?: number;
  readonly createdAt: string;
}

const IMAGE_ID = /^ami-[0-9a-f]{17}$/;

/** A fresh image id in EC2's long form (ami- and 17 hex digits). */
export function newImageId(): string {
  return `ami-${randomBytes(9).toString("hex").slice(0, 17)}`;
}

/** Whether `value` is an image id. */
export function isImageId(value: unknown): value is string {
  return typeof value === "string" && IMAGE_ID.test(value);
}
