/**
 * Holding whole boot files in memory: the bytes are the file's, requests at once share one
 * read, a file replaced on disk is read again (never served stale), a file larger than the
 * cache is left to the pooled reads, and the least recently used file makes room.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FileCache } from "../../lib/boot/file-cache.ts";

describe("the boot file cache", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), `orchestra-file-cache-${process.pid}-`));
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const put = (name: string, bytes: Buffer) => {
    const path = join(dir, name);
    // Written beside and renamed, as image imports replace files: a new inode.
    writeFileSync(`${path}.new`, bytes);
    renameSync(`${path}.new`, path);
    return { path, version: statSync(path) };
  };

  it("holds a file's bytes, shares one read between requests at once, and hands the same Buffer again", async () => {
    const content = randomBytes(300_000);
    const { path, version } = put("kernel", content);
    const cache = new FileCache(1_000_000);
    const [a, b] = await Promise.all([cache.get(path, version), cache.get(path, version)]);
    expect(a!.equals(content)).toBe(true);
    expect(b).toBe(a);
    expect(await cache.get(path, version)).toBe(a);
    expect(cache.heldBytes).toBe(content.length);
  });

  it("reads a replaced file again, and refuses to answer for a version that is no longer on disk", async () => {
    const { path, version: first } = put("initrd", randomBytes(1000));
    const cache = new FileCache(1_000_000);
    await cache.get(path, first);
    const replacement = randomBytes(2000);
    const { version: second } = put("initrd", replacement);
    expect((await cache.get(path, second))!.equals(replacement)).toBe(true);
    expect(cache.heldBytes).toBe(2000);
    // A request that saw the old file's stat must not get the new bytes under the old length.
    expect(await cache.get(path, first)).toBeUndefined();
    expect(cache.heldBytes).toBe(0);
  });

  it("leaves empty files and files larger than the cache to the caller, and evicts the least recently used", async () => {
    const cache = new FileCache(2500);
    const big = put("root", randomBytes(2501));
    expect(await cache.get(big.path, big.version)).toBeUndefined();
    const empty = put("empty", Buffer.alloc(0));
    expect(await cache.get(empty.path, empty.version)).toBeUndefined();
    const one = put("one", randomBytes(1000));
    const two = put("two", randomBytes(1000));
    const three = put("three", randomBytes(1000));
    const heldOne = await cache.get(one.path, one.version);
    await cache.get(two.path, two.version);
    // One is used again, so two is the one to go when three needs room.
    expect(await cache.get(one.path, one.version)).toBe(heldOne);
    await cache.get(three.path, three.version);
    expect(cache.heldBytes).toBe(2000);
    expect(await cache.get(one.path, one.version)).toBe(heldOne);
    expect(cache.heldBytes).toBe(2000);
  });
});
