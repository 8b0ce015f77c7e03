import { mkdirSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterAll, describe, expect, it } from "vitest";
import { checkBootImages } from "../../lib/boot/boot-preflight.ts";
import { prepareTftpRoot } from "../../lib/boot/tftp-root.ts";
import { addImage, imageFilePath } from "../../lib/images/image-store.ts";
import { startServer } from "../../lib/server/orchestra-server.ts";
import { memoryInventory } from "../helpers/inventory.ts";

const dir = mkdtempSync(join(tmpdir(), "orchestra-preflight-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("checks at start", () => {
  it("copies the iPXE loaders into the TFTP root, and names a missing one", async () => {
    const tftp = join(dir, "tftp");
    await prepareTftpRoot(tftp, ["undionly.kpxe", "ipxe.efi"]);
    await prepareTftpRoot(tftp, ["undionly.kpxe"]);
    await expect(prepareTftpRoot(tftp, ["undionly.kpxe"], join(dir, "no-ipxe-here"))).rejects.toMatchObject({ code: "BOOT_FILE_MISSING", message: expect.stringMatching(/install Debian's ipxe package/) });
  });

  it("warns when there is no discovery image, and errs on a damaged one; serve refuses to start with it", async () => {
    const dataDir = join(dir, "data");
    expect(await checkBootImages(dataDir)).toEqual([{ severity: "warning", message: expect.stringMatching(/no discovery image/) }]);
    mkdirSync(join(dir, "src"));
    writeFileSync(join(dir, "src", "k"), "kernel");
    writeFileSync(join(dir, "src", "i"), "initrd");
    const image = await addImage(dataDir, { name: "d", role: "discovery", release: "t", architecture: "amd64", source: "t" }, { kernel: { path: join(dir, "src", "k") }, initrd: { path: join(dir, "src", "i") } });
    expect(await checkBootImages(dataDir)).toEqual([]);
    truncateSync(imageFilePath(dataDir, image.id, "initrd"), 2);
    expect(await checkBootImages(dataDir)).toEqual([{ severity: "error", message: expect.stringMatching(/initrd is 2 bytes, expected 6/) }]);

    const inventory = await memoryInventory();
    await expect(startServer({ inventory, logger: pino({ level: "silent" }), bootListen: { host: "127.0.0.1", port: 0 }, dataDir })).rejects.toMatchObject({ code: "BOOT_FILE_MISSING" });
  });
});
