/**
 * @module images/image-store
 * Boot images on disk: `<data dir>/images/<ami-id>/` holds `kernel`, `initrd`, optionally
 * `root`, and `image.json`. An image appears by one rename of a complete directory, so the
 * boot service never serves half an import.
 */
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream, statSync } from "node:fs";
import { mkdir, readdir, readFile, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { OrchestraError } from "../errors.ts";
import { writeFileAtomic } from "../files/write-file-atomic.ts";
import { diskImageNeed } from "./disk-image-format.ts";
import { type BootImage, type ImageFile, type ImageFileName, type ImageRole, IMAGE_ROLES, isImageId, newImageId } from "./boot-image.ts";

/** The directory holding every image of a data directory. */
export function imagesDir(dataDir: string): string {
  return join(dataDir, "images");
}

/** The path a stored image file is served from. */
export function imageFilePath(dataDir: string, id: string, file: ImageFileName): string {
  if (!isImageId(id)) throw new OrchestraError("IMAGE_NOT_FOUND", `no image ${JSON.stringify(id)}: image ids look like ami-0123456789abcdef0`, { id });
  return join(imagesDir(dataDir), id, file);
}

/**
 * The images last read from each images directory, with that directory's modification time.
 * Every boot script and deploy plan asks for the images: reading each image.json again per
 * request was a tenth of a deployment's server time (tests/bench/deploy-overhead.ts). An
 * image appears by a rename into the directory and goes by removing its subdirectory, and
 * its image.json is never rewritten in place, so the directory's time changes with every
 * change to the list.
 */
const listed = new Map<string, { mtimeNs: bigint; images: readonly BootImage[] }>();

/** Every registered image, oldest first. */
export async function listImages(dataDir: string): Promise<BootImage[]> {
  const dir = imagesDir(dataDir);
  // A synchronous stat of one directory: about a microsecond of this thread, where the
  // promise's round trip through libuv's pool cost every boot script and plan ten times that.
  let mtimeNs: bigint | undefined;
  try {
    mtimeNs = statSync(dir, { bigint: true, throwIfNoEntry: false })?.mtimeNs;
  } catch {
    // Unreadable is as good as absent, as before.
  }
  if (mtimeNs === undefined) return [];
  const cached = listed.get(dir);
  if (cached?.mtimeNs === mtimeNs) return [...cached.images];
  const images = await readImages(dataDir);
  listed.set(dir, { mtimeNs, images });
  return [...images];
}

async function readImages(dataDir: string): Promise<BootImage[]> {
  let names: string[];
  try {
    names = await readdir(imagesDir(dataDir));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  const images: BootImage[] = [];
  for (const name of names.filter(isImageId)) {
    try {
      images.push(JSON.parse(await readFile(join(imagesDir(dataDir), name, "image.json"), "utf8")) as BootImage);
    } catch {
      // A directory without readable metadata is not an image; `images list` shows only complete ones.
    }
  }
  return images.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
}

/** The image with id `id`. */
export async function getImage(dataDir: string, id: string): Promise<BootImage> {
  const found = (await listImages(dataDir)).find((image) => image.id === id);
  if (!found) throw new OrchestraError("IMAGE_NOT_FOUND", `no image ${id}`, { id });
  return found;
}

/** The newest image with `role` for `architecture`, or undefined. */
export async function findImageByRole(dataDir: string, role: ImageRole, architecture = "amd64"): Promise<BootImage | undefined> {
  return newestWithRole(await listImages(dataDir), role, architecture);
}

/** The newest of `images` (oldest first, as listImages answers) with `role` for `architecture`. */
export function newestWithRole(images: readonly BootImage[], role: ImageRole, architecture: string): BootImage | undefined {
  return images.findLast((image) => image.role === role && image.architecture === architecture);
}

/** What describes a new image; its files are given separately. */
export interface NewImage {
  name: string;
  role: ImageRole;
  release: string;
  architecture: string;
  source: string;
  /** For an `os` image whose `root` is a partitioned disk image: the MBR partition (1-4) with the root file system. */
  rootPartition?: number;
  /** The least memory, in MiB, a machine needs to deploy and run it (an `os` image with a `root`). */
  minMemoryMib?: number;
}

/** Files to store: a local path each, and the SHA-256 each must have when one is known. */
export type ImageSources = Partial<Record<ImageFileName, { path: string; sha256?: string }>> & { kernel: { path: string; sha256?: string }; initrd: { path: string; sha256?: string } };

const NAME = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,127}$/;

function checkNewImage(meta: NewImage): void {
  const bad = (field: string, value: unknown, hint: string) => {
    throw new OrchestraError("INVALID_ARGUMENT", `invalid image ${field} ${JSON.stringify(value)}: ${hint}`, { field });
  };
  if (!NAME.test(meta.name)) bad("name", meta.name, "letters, digits, '.', '_', '+', '-'");
  if (!NAME.test(meta.release)) bad("release", meta.release, "letters, digits, '.', '_', '+', '-'");
  if (!(IMAGE_ROLES as readonly string[]).includes(meta.role)) bad("role", meta.role, `one of ${IMAGE_ROLES.join(", ")}`);
  if (!/^[a-z0-9]{2,16}$/.test(meta.architecture)) bad("architecture", meta.architecture, "a Debian architecture such as amd64");
  if (meta.minMemoryMib !== undefined && !(Number.isInteger(meta.minMemoryMib) && meta.minMemoryMib >= 1 && meta.minMemoryMib <= 1 << 30)) bad("minMemoryMib", meta.minMemoryMib, "a whole number of MiB, at least 1");
  if (meta.rootPartition !== undefined && !(Number.isInteger(meta.rootPartition) && meta.rootPartition >= 1 && meta.rootPartition <= 4)) bad("rootPartition", meta.rootPartition, "an MBR primary partition number, 1-4 (the deploy ramdisk reads the start from the MBR)");
}

async function copyHashing(from: string, to: string): Promise<ImageFile> {
  const hash = createHash("sha256");
  let sizeBytes = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      sizeBytes += chunk.length;
      done(null, chunk);
    },
  });
  await pipeline(createReadStream(from), tap, createWriteStream(to, { flags: "wx", mode: 0o644 }));
  return { sizeBytes, sha256: hash.digest("hex") };
}

/**
 * Copy `sources` into a new image and register it. A checksum mismatch or a missing file
 * leaves nothing behind: the image directory only appears, by rename, once complete.
 */
export async function addImage(dataDir: string, meta: NewImage, sources: ImageSources): Promise<BootImage> {
  checkNewImage(meta);
  if (meta.rootPartition !== undefined && !sources.root) {
    throw new OrchestraError("INVALID_ARGUMENT", "an image with a rootPartition needs a root disk image to hold it", { field: "rootPartition" });
  }
  if (meta.minMemoryMib !== undefined && !sources.root) {
    throw new OrchestraError("INVALID_ARGUMENT", "only an image with a root disk image is deployed, so only such an image has a minimum memory", { field: "minMemoryMib" });
  }
  for (const [file, source] of Object.entries(sources)) {
    if (!source) continue;
    const info = await stat(source.path).catch(() => undefined);
    if (!info?.isFile()) throw new OrchestraError("IMAGE_SOURCE_INVALID", `the image's ${file} ${source.path} is not a readable file`, { file, path: source.path });
  }
  const id = newImageId();
  await mkdir(imagesDir(dataDir), { recursive: true });
  const staging = join(imagesDir(dataDir), `.incoming-${id}`);
  await mkdir(staging);
  try {
    const files: Partial<Record<ImageFileName, ImageFile>> = {};
    for (const [file, source] of Object.entries(sources) as [ImageFileName, { path: string; sha256?: string } | undefined][]) {
      if (!source) continue;
      const stored = await copyHashing(source.path, join(staging, file));
      if (source.sha256 !== undefined && source.sha256.toLowerCase() !== stored.sha256) {
        throw new OrchestraError("IMAGE_CHECKSUM_MISMATCH", `the image's ${file} (${source.path}) has SHA-256 ${stored.sha256}, expected ${source.sha256.toLowerCase()}; nothing was imported`, { file, expected: source.sha256, actual: stored.sha256 });
      }
      files[file] = stored;
    }
    // What the disk image fills once written, from its format's records: checked before it is registered.
    const need = sources.root ? await diskImageNeed(join(staging, "root")) : undefined;
    const image: BootImage = { id, ...meta, files: files as BootImage["files"], ...(need ? { minDiskBytes: need.diskBytes } : {}), createdAt: new Date().toISOString() };
    await writeFileAtomic(join(staging, "image.json"), `${JSON.stringify(image, null, 2)}\n`);
    await rename(staging, join(imagesDir(dataDir), id));
    return image;
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
}

/** Remove an image and its files. */
export async function removeImage(dataDir: string, id: string): Promise<void> {
  await getImage(dataDir, id);
  // Rename first so the boot service stops listing it before the files go.
  const doomed = join(imagesDir(dataDir), `.removing-${id}`);
  await rename(join(imagesDir(dataDir), id), doomed);
  await rm(doomed, { recursive: true, force: true });
}
