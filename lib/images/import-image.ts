/**
 * @module images/import-image
 * `orchestra images import`: a boot image set from a local directory, an installed Debian
 * package, or HTTP(S) URLs with their SHA-256 checksums. Each source is resolved to local
 * files, and `addImage` stores and verifies them, so every source is checked the same way.
 */
import { createWriteStream } from "node:fs";
import { mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { request } from "undici";
import { OrchestraError } from "../errors.ts";
import type { BootImage, ImageFileName } from "./boot-image.ts";
import { packageDepends, packageFiles } from "./debian-packages.ts";
import { addImage, type ImageSources, type NewImage } from "./image-store.ts";

/** Where an image comes from. */
export type ImageSource =
  | { readonly kind: "directory"; readonly path: string; readonly kernel?: string; readonly initrd?: string; readonly root?: string }
  | { readonly kind: "package"; readonly name: string }
  | { readonly kind: "url"; readonly kernel: string; readonly initrd: string; readonly root?: string; readonly sha256: Readonly<Partial<Record<ImageFileName, string>>> };

/** Progress of a download: bytes so far and the total when the server said. */
export type ProgressListener = (file: ImageFileName, received: number, total: number | undefined) => void;

const KERNEL_NAMES = [/^vmlinuz/, /^linux$/, /^bzImage$/, /^kernel$/];
const INITRD_NAMES = [/^initrd/, /^initramfs/];
const ROOT_NAMES = [/\.squashfs$/, /^root\.tgz$/, /^root\.tar\.gz$/];
const SHA256 = /^[0-9a-f]{64}$/i;

function pick(names: readonly string[], patterns: readonly RegExp[]): string | undefined {
  for (const pattern of patterns) {
    const found = names.filter((name) => pattern.test(name)).sort();
    if (found.length) return found[0];
  }
  return undefined;
}

/** Parse a SHA256SUMS file ("<hex>  <name>" lines) into name → checksum. */
export function parseSha256Sums(text: string): Map<string, string> {
  const sums = new Map<string, string>();
  for (const line of text.split("\n")) {
    const match = /^([0-9a-f]{64})\s+\*?(.+)$/i.exec(line.trim());
    if (match) sums.set(match[2]!.replace(/^\.\//, ""), match[1]!.toLowerCase());
  }
  return sums;
}

async function fromDirectory(source: Extract<ImageSource, { kind: "directory" }>): Promise<ImageSources> {
  const names = await readdir(source.path).catch((error: unknown) => {
    throw new OrchestraError("IMAGE_SOURCE_INVALID", `cannot read directory ${source.path}`, { path: source.path }, { cause: error });
  });
  const kernel = source.kernel ?? pick(names, KERNEL_NAMES);
  const initrd = source.initrd ?? pick(names, INITRD_NAMES);
  const root = source.root ?? pick(names, ROOT_NAMES);
  if (!kernel || !initrd) throw new OrchestraError("IMAGE_SOURCE_INVALID", `${source.path} has no ${kernel ? "initrd" : "kernel"} (looked for vmlinuz*/linux and initrd*); name it with --kernel/--initrd`, { path: source.path });
  // A SHA256SUMS file beside the files, when present, is checked too.
  const sums = parseSha256Sums(await readFile(join(source.path, "SHA256SUMS"), "utf8").catch(() => ""));
  const file = (name: string) => ({ path: join(source.path, name), sha256: sums.get(name) });
  return { kernel: file(kernel), initrd: file(initrd), ...(root ? { root: file(root) } : {}) };
}

async function fromPackage(name: string): Promise<ImageSources> {
  let files = await packageFiles(name);
  // A meta-package such as linux-image-amd64 ships no kernel itself: follow it one step.
  if (!files.some((f) => KERNEL_NAMES.some((p) => p.test(basename(f))))) {
    for (const dep of (await packageDepends(name)).filter((d) => d.startsWith("linux-image-"))) files = files.concat(await packageFiles(dep));
  }
  const regular = [];
  for (const f of files) if ((await stat(f).catch(() => undefined))?.isFile()) regular.push(f);
  // Prefer the plain text-mode installer over the graphical one where a package has both.
  const ordered = [...regular.filter((f) => !f.includes("/gtk/")), ...regular.filter((f) => f.includes("/gtk/"))];
  const kernel = ordered.find((f) => KERNEL_NAMES.some((p) => p.test(basename(f))));
  let initrd = ordered.find((f) => INITRD_NAMES.some((p) => p.test(basename(f))) && (!kernel || dirname(f) === dirname(kernel)));
  if (!initrd && kernel && basename(kernel).startsWith("vmlinuz-")) {
    // A kernel package's initrd is generated at install time (initramfs-tools), not shipped.
    const generated = join(dirname(kernel), `initrd.img-${basename(kernel).slice("vmlinuz-".length)}`);
    if (await stat(generated).catch(() => undefined)) initrd = generated;
  }
  if (!kernel || !initrd) throw new OrchestraError("IMAGE_SOURCE_INVALID", `Debian package ${name} has no ${kernel ? "initrd" : "kernel"}`, { package: name });
  return { kernel: { path: kernel }, initrd: { path: initrd } };
}

async function download(url: string, to: string, file: ImageFileName, onProgress?: ProgressListener): Promise<void> {
  if (!/^https?:\/\//i.test(url)) throw new OrchestraError("IMAGE_SOURCE_INVALID", `${url} is not an http(s) URL`, { url });
  let response;
  try {
    response = await request(url);
  } catch (error) {
    throw new OrchestraError("IMAGE_SOURCE_INVALID", `cannot fetch ${url}: ${(error as Error).message}`, { url }, { cause: error });
  }
  if (response.statusCode !== 200) {
    await response.body.dump();
    throw new OrchestraError("IMAGE_SOURCE_INVALID", `fetching ${url} answered HTTP ${response.statusCode}`, { url, status: response.statusCode });
  }
  const length = Number(response.headers["content-length"]);
  const total = Number.isFinite(length) ? length : undefined;
  let received = 0;
  response.body.on("data", (chunk: Buffer) => {
    received += chunk.length;
    onProgress?.(file, received, total);
  });
  await pipeline(response.body as Readable, createWriteStream(to, { flags: "wx" }));
}

/** Import an image from `source` and register it. */
export async function importImage(dataDir: string, meta: NewImage, source: ImageSource, onProgress?: ProgressListener): Promise<BootImage> {
  switch (source.kind) {
    case "directory":
      return addImage(dataDir, meta, await fromDirectory(source));
    case "package":
      return addImage(dataDir, { ...meta, source: `deb:${source.name}` }, await fromPackage(source.name));
    case "url": {
      const urls = Object.entries({ kernel: source.kernel, initrd: source.initrd, root: source.root }).filter((entry): entry is [ImageFileName, string] => entry[1] !== undefined);
      for (const [file] of urls) {
        const sum = source.sha256[file];
        // Over the network, the checksum is the only thing that says these are the right bytes.
        if (!sum || !SHA256.test(sum)) throw new OrchestraError("MISSING_ARGUMENT", `importing from a URL needs the ${file}'s SHA-256 (64 hex digits)`, { file });
      }
      const work = await mkdtemp(join(tmpdir(), "orchestra-import-"));
      try {
        const sources: Partial<ImageSources> = {};
        for (const [file, url] of urls) {
          const path = join(work, file);
          await download(url, path, file, onProgress);
          sources[file] = { path, sha256: source.sha256[file] };
        }
        return await addImage(dataDir, { ...meta, source: source.kernel }, sources as ImageSources);
      } finally {
        await rm(work, { recursive: true, force: true });
      }
    }
  }
}
