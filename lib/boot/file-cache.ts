/**
 * @module boot/file-cache
 * The bytes of the hot boot files, held once in memory and written to every client from
 * there: a boot storm sends the same kernel and initrd to thousands of machines, and reading
 * them again for each one was a third of the server's CPU per GiB (the read copy and the
 * thread-pool round trip per chunk; tests/bench/boot-http.ts). One Buffer per file, loaded on
 * its first request, up to a total cap; a file larger than the cap (a root image) is not held
 * and goes through the pooled reads of file-sender.ts.
 *
 * A held file is checked against the request's stat (inode, size, modification time) each
 * time: a file replaced on disk is read again, never served stale. An evicted Buffer lives on
 * only as long as the responses still writing from it.
 */
import { open } from "node:fs/promises";

/** Bytes held at most, over all files (kernels and initrds of a few images). */
export const FILE_CACHE_BYTES = 64 * 1024 * 1024;

/** What identifies one version of a file: a different inode, size or time is another file. */
export interface FileVersion {
  readonly ino: number;
  readonly size: number;
  readonly mtimeMs: number;
}

interface Entry extends FileVersion {
  readonly bytes: Promise<Buffer | undefined>;
}

const sameVersion = (a: FileVersion, b: FileVersion) => a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs;

/** The whole file at `path` if it is still `version` when opened and reads to its end; else undefined. */
async function readVersion(path: string, version: FileVersion): Promise<Buffer | undefined> {
  const file = await open(path, "r").catch(() => undefined);
  if (!file) return undefined;
  try {
    if (!sameVersion(await file.stat(), version)) return undefined;
    // Outside the pool Node slices small buffers from: this one is kept, alone.
    const bytes = Buffer.allocUnsafeSlow(version.size);
    let filled = 0;
    while (filled < bytes.length) {
      const { bytesRead } = await file.read(bytes, filled, bytes.length - filled, filled);
      if (bytesRead === 0) return undefined;
      filled += bytesRead;
    }
    return bytes;
  } catch {
    return undefined;
  } finally {
    await file.close();
  }
}

/** Whole files held in memory, least recently used evicted first, at most `capacity` bytes. */
export class FileCache {
  /** In use order: a hit moves its entry to the end, eviction takes from the front. */
  readonly #entries = new Map<string, Entry>();
  #held = 0;
  readonly capacity: number;

  constructor(capacity: number = FILE_CACHE_BYTES) {
    this.capacity = capacity;
  }

  /**
   * The bytes of the file at `path`, which the caller has just found to be `version`; loaded
   * on the first request (concurrent requests share the one read). Undefined when the file
   * is empty, larger than the cache, or no longer that version: the caller reads it itself.
   */
  get(path: string, version: FileVersion): Promise<Buffer | undefined> {
    if (version.size === 0 || version.size > this.capacity) return Promise.resolve(undefined);
    const held = this.#entries.get(path);
    if (held && sameVersion(held, version)) {
      this.#entries.delete(path);
      this.#entries.set(path, held);
      return held.bytes;
    }
    if (held) this.#drop(path);
    for (const [oldest] of this.#entries) {
      if (this.#held + version.size <= this.capacity) break;
      this.#drop(oldest);
    }
    const entry: Entry = {
      ino: version.ino,
      size: version.size,
      mtimeMs: version.mtimeMs,
      bytes: readVersion(path, version).then((bytes) => {
        // Not what was asked for: forget it, so the next request tries again.
        if (!bytes && this.#entries.get(path) === entry) this.#drop(path);
        return bytes;
      }),
    };
    this.#entries.set(path, entry);
    this.#held += version.size;
    return entry.bytes;
  }

  /** Bytes held now (for tests and metrics). */
  get heldBytes(): number {
    return this.#held;
  }

  #drop(path: string): void {
    const entry = this.#entries.get(path);
    if (!entry) return;
    this.#entries.delete(path);
    this.#held -= entry.size;
  }
}
