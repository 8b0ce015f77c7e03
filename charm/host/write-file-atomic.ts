/**
 * @module charm/host/write-file-atomic
 * Config files are written whole or not at all: a temp file beside the target, then a
 * rename, so a daemon never reads half a file and a crash never leaves one.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, basename, join } from "node:path";

/**
 * Writes `content` to `path` atomically unless it already holds exactly that.
 * @returns whether the file changed.
 */
export function writeFileAtomic(path: string, content: string | Buffer, mode = 0o644): boolean {
  const bytes = typeof content === "string" ? Buffer.from(content) : content;
  if (existsSync(path) && readFileSync(path).equals(bytes)) {
    chmodSync(path, mode);
    return false;
  }
  mkdirSync(dirname(path), { recursive: true });
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    writeFileSync(temp, bytes, { mode });
    chmodSync(temp, mode);
    renameSync(temp, path);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
  return true;
}

/** Removes a file if present; returns whether it existed. */
export function removeFile(path: string): boolean {
  if (!existsSync(path)) return false;
  rmSync(path, { force: true });
  return true;
}
