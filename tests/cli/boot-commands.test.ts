import { join } from "node:path";
import { execa } from "execa";
import { afterAll, describe, expect, it } from "vitest";
import { tempDataDir } from "../helpers/inventory.ts";

const data = tempDataDir();
afterAll(() => data.cleanup());
const CLI = join(import.meta.dirname, "../../lib/cli/main.ts");

function orchestra(...args: string[]) {
  return execa(process.execPath, [CLI, "--data-dir", data.dir, ...args], { reject: false, all: true });
}

describe("the images and lab commands", () => {
  it("images import refuses zero or several sources, and a URL without checksums", async () => {
    const none = await orchestra("images", "import", "--name", "x");
    expect(none.exitCode).toBe(1);
    expect(none.stderr).toMatch(/give exactly one source/);
    const two = await orchestra("images", "import", "--name", "x", "--dir", "/tmp", "--package", "linux-image-amd64");
    expect(two.exitCode).toBe(1);
    const url = await orchestra("images", "import", "--name", "x", "--kernel", "http://127.0.0.1:9/linux", "--initrd", "http://127.0.0.1:9/initrd");
    expect(url.exitCode).toBe(1);
    expect(url.stderr).toMatch(/SHA-256/);
    const list = await orchestra("images", "list", "--json");
    expect(JSON.parse(list.stdout)).toEqual([]);
  });

  it("images build-discovery registers an image that images list shows", async () => {
    const built = await orchestra("images", "build-discovery", "--json");
    expect(built.exitCode, built.all).toBe(0);
    const image = JSON.parse(built.stdout);
    const list = await orchestra("images", "list");
    expect(list.stdout).toContain(image.id);
    expect(list.stdout).toMatch(/orchestra-discovery\s+discovery/);
    expect((await orchestra("images", "remove", image.id)).exitCode).toBe(0);
    const gone = await orchestra("images", "remove", image.id);
    expect(gone.exitCode).toBe(1);
    expect(gone.stderr).toMatch(/no image/);
  });

  it("lab refuses bad input before making anything, and says when there is no lab", async () => {
    const many = await orchestra("lab", "up", "--nodes", "99");
    expect(many.exitCode).toBe(1);
    expect(many.stderr).toMatch(/--nodes must be a whole number from 0 to 16/);
    const firmware = await orchestra("lab", "up", "--nodes", "1", "--firmware", "coreboot");
    expect(firmware.exitCode).toBe(1);
    expect(firmware.stderr).toMatch(/unknown firmware "coreboot"/);
    const fanout = await orchestra("lab", "up", "--fanout", "--nodes", "17");
    expect(fanout.exitCode).toBe(1);
    expect(fanout.stderr).toMatch(/--nodes must be a whole number from 0 to 16/);
    expect((await orchestra("lab", "up", "--help")).stdout.replace(/\s+/g, " ")).toMatch(/--fanout the lab's server shares deploy images peer to peer \(serve --fanout\)/);
    const status = await orchestra("lab", "status", "--json");
    expect(status.exitCode).toBe(1);
    expect(JSON.parse(status.stderr).error.code).toBe("LAB_NOT_RUNNING");
    const down = await orchestra("lab", "down");
    expect(down.exitCode).toBe(1);
    expect(down.stderr).toMatch(/no lab is running/);
  });

  it("serve refuses DHCP options that cannot work, before starting anything", async () => {
    const noRange = await orchestra("serve", "--boot-listen", "127.0.0.1:0", "--dhcp-interface", "br0");
    expect(noRange.exitCode).toBe(1);
    expect(noRange.stderr).toMatch(/exactly one of --dhcp-range/);
    const wildcard = await orchestra("serve", "--boot-listen", "0.0.0.0:0", "--dhcp-interface", "br0", "--dhcp-range", "192.0.2.100-192.0.2.200");
    expect(wildcard.exitCode).toBe(1);
    expect(wildcard.stderr).toMatch(/--dhcp-server-address/);
    const offNet = await orchestra("serve", "--boot-listen", "192.0.2.1:5248", "--dhcp-interface", "br0", "--dhcp-range", "198.51.100.100-198.51.100.200");
    expect(offNet.exitCode).toBe(1);
    expect(offNet.stderr).toMatch(/not on the server's network/);
  });
});
