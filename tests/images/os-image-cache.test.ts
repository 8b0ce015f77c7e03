import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { osDiskLayout } from "../../lib/images/os-disk-layout.ts";
import { findCachedOsImage, lockOsImageBuild, mountsUnder, stageOsImage, type OsImageBuildInfo } from "../../lib/images/os-image-cache.ts";
import { osImageRecipe } from "../../lib/images/os-image-recipe.ts";
import { tempDataDir } from "../helpers/inventory.ts";

const cache = tempDataDir();
afterAll(() => cache.cleanup());
const MIB = 1024 * 1024;
const info = (key: string): OsImageBuildInfo => ({
  key,
  recipe: osImageRecipe("bookworm", "http://deb.debian.org/debian"),
  layout: osDiskLayout(64 * MIB, 512 * MIB),
  kernelVersion: "6.1.0-test-amd64",
  diskBytes: 577 * MIB,
  builtAt: new Date().toISOString(),
  buildSeconds: 1,
});

describe("the OS image cache", () => {
  it("shows an entry only once it is committed, without the build's scratch space", async () => {
    const staged = await stageOsImage(cache.dir, "aa11");
    for (const path of [staged.disk, staged.kernel, staged.initrd]) writeFileSync(path, "x");
    writeFileSync(join(staged.workDir, "scratch"), "big");
    expect(await findCachedOsImage(cache.dir, "aa11")).toBeUndefined();
    const entry = await staged.commit(info("aa11"));
    expect(entry.dir).toBe(join(cache.dir, "aa11"));
    expect(readdirSync(entry.dir).sort()).toEqual(["build.json", "disk.img.gz", "initrd", "kernel"]);
    expect((await findCachedOsImage(cache.dir, "aa11"))?.info.kernelVersion).toBe("6.1.0-test-amd64");
  });

  it("keeps the first entry of a key unless the commit replaces it", async () => {
    const commit = async (kernelVersion: string, replace: boolean) => {
      const staged = await stageOsImage(cache.dir, "aa11");
      for (const path of [staged.disk, staged.kernel, staged.initrd]) writeFileSync(path, kernelVersion);
      return staged.commit({ ...info("aa11"), kernelVersion }, { replace });
    };
    expect((await commit("6.1.0-second", false)).info.kernelVersion).toBe("6.1.0-test-amd64");
    expect((await commit("6.1.0-rebuilt", true)).info.kernelVersion).toBe("6.1.0-rebuilt");
    const entry = (await findCachedOsImage(cache.dir, "aa11"))!;
    expect(entry.info.kernelVersion).toBe("6.1.0-rebuilt");
    expect(readFileSync(entry.kernel, "utf8")).toBe("6.1.0-rebuilt");
    expect(readdirSync(cache.dir).filter((n) => n.startsWith("."))).toEqual([]);
  });

  it("leaves nothing of a discarded build", async () => {
    const staged = await stageOsImage(cache.dir, "bb22");
    writeFileSync(staged.disk, "half");
    await staged.discard();
    expect(await findCachedOsImage(cache.dir, "bb22")).toBeUndefined();
    expect(readdirSync(cache.dir).filter((n) => n.includes("bb22"))).toEqual([]);
  });

  it("refuses to commit an entry with a file missing, and leaves nothing of it", async () => {
    const staged = await stageOsImage(cache.dir, "cc33");
    writeFileSync(staged.disk, "x");
    writeFileSync(staged.kernel, "x");
    await expect(staged.commit(info("cc33"))).rejects.toThrow(/without .*initrd/);
    expect(await findCachedOsImage(cache.dir, "cc33")).toBeUndefined();
    expect(readdirSync(cache.dir).filter((n) => n.includes("cc33"))).toEqual([]);
  });

  it("removes what a dead build left, and keeps a live one's", async () => {
    const dead = join(cache.dir, ".building-dd44-999999999");
    const live = join(cache.dir, `.building-ee55-${process.ppid}`);
    mkdirSync(dead);
    mkdirSync(live);
    const staged = await stageOsImage(cache.dir, "ff66");
    expect(existsSync(dead)).toBe(false);
    expect(existsSync(live)).toBe(true);
    await staged.discard();
  });

  it("finds mounts left inside a build directory, which a recursive delete must not reach", async () => {
    const mounts = "proc /proc proc rw 0 0\nproc /c/.building-1-2/work/root/proc proc rw 0 0\n/dev/vda /c/.building-1-2/work/root/my\\040dev ext4 rw 0 0\nsysfs /c/.building-1-22/sys sysfs rw 0 0\n";
    expect(await mountsUnder("/c/.building-1-2", mounts)).toEqual(["/c/.building-1-2/work/root/proc", "/c/.building-1-2/work/root/my dev"]);
    expect(await mountsUnder(cache.dir)).toEqual([]);
  });

  it("lets one build of a recipe run at a time, and takes over the lock of a build that died", async () => {
    const release = await lockOsImageBuild(cache.dir, "ab12", undefined, 20);
    const waits: number[] = [];
    let second = false;
    const other = lockOsImageBuild(cache.dir, "ab12", (holder) => waits.push(holder), 20).then((r) => ((second = true), r));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(second).toBe(false);
    expect(waits).toEqual([process.pid]);
    await release();
    await (await other)();

    writeFileSync(join(cache.dir, ".lock-cd34"), "999999999\n");
    await (await lockOsImageBuild(cache.dir, "cd34", undefined, 20))();
    expect(existsSync(join(cache.dir, ".lock-cd34"))).toBe(false);
  });
});
