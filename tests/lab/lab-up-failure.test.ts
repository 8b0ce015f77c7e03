/**
 * `lab up` that fails halfway removes what it made: here the server refuses to start
 * because an image in the data directory is damaged, after the namespace already exists.
 */
import { existsSync, truncateSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, describe, expect, it } from "vitest";
import { addImage, imageFilePath } from "../../lib/images/image-store.ts";
import { labNamespace } from "../../lib/lab/lab-state.ts";
import { tempDataDir } from "../helpers/inventory.ts";

const data = tempDataDir();
afterAll(async () => {
  // Should the test fail, do not leave its namespace behind either.
  await execa("ip", ["netns", "del", labNamespace(data.dir)], { reject: false });
  data.cleanup();
});
const CLI = join(import.meta.dirname, "../../lib/cli/main.ts");

describe("lab up, failing halfway", () => {
  it("reports the server's reason and leaves no namespace, process or lab file behind", async () => {
    expect(process.getuid?.(), "the lab needs root").toBe(0);
    const image = await addImage(data.dir, { name: "d", role: "discovery", release: "t", architecture: "amd64", source: "t" }, { kernel: { path: "/bin/busybox" }, initrd: { path: "/bin/busybox" } });
    truncateSync(imageFilePath(data.dir, image.id, "initrd"), 10);
    const up = await execa(process.execPath, [CLI, "--data-dir", data.dir, "lab", "up", "--nodes", "1"], { reject: false, all: true });
    expect(up.exitCode).toBe(1);
    expect(up.stderr).toMatch(/orchestra serve exited during start/);
    expect(up.stderr).toMatch(/initrd is 10 bytes/);
    expect((await execa("ip", ["netns", "list"])).stdout).not.toContain(labNamespace(data.dir));
    expect(existsSync(join(data.dir, "lab"))).toBe(false);
    const status = await execa(process.execPath, [CLI, "--data-dir", data.dir, "lab", "status"], { reject: false });
    expect(status.exitCode).toBe(1);
  });
});
