/**
 * @module boot/tftp-root
 * The TFTP root holds only the small iPXE loaders from Debian's `ipxe` package; everything
 * larger goes over HTTP. A missing loader stops the server at start, not a node at 3 a.m.
 */
import { copyFile, mkdir, readFile, rename, stat } from "node:fs/promises";
import { join } from "node:path";
import { OrchestraError } from "../errors.ts";

/** Where Debian's ipxe package installs its loaders. */
export const IPXE_DIR = "/usr/lib/ipxe";

/** Copy each loader into `tftpRoot` unless an identical copy is there already. */
export async function prepareTftpRoot(tftpRoot: string, loaders: readonly string[], sourceDir = IPXE_DIR): Promise<void> {
  await mkdir(tftpRoot, { recursive: true });
  for (const loader of loaders) {
    const source = join(sourceDir, loader);
    const info = await stat(source).catch(() => undefined);
    if (!info?.isFile()) throw new OrchestraError("BOOT_FILE_MISSING", `iPXE loader ${source} is missing: install Debian's ipxe package`, { path: source });
    const target = join(tftpRoot, loader);
    const existing = await readFile(target).catch(() => undefined);
    if (existing && existing.equals(await readFile(source))) continue;
    await copyFile(source, `${target}.tmp`);
    await rename(`${target}.tmp`, target);
  }
}
