/**
 * `lab up`'s defaults are the size tests/e2e/lab-deploy.test.ts runs the README's whole flow
 * on (that test gives no size of its own): 1 GiB of memory for the deploy ramdisk, a 4 GiB disk
 * for the built Debian image (about 1.1 GiB). The old 512 MiB / 1 GiB could not deploy.
 */
import { describe, expect, it } from "vitest";
import { LAB_VM_DEFAULTS } from "../../lib/lab/lab-up.ts";
import { orchestra } from "../helpers/cli.ts";

describe("lab up's defaults", () => {
  it("are large enough for a deployment, and are what --help says", async () => {
    expect(LAB_VM_DEFAULTS.memoryMib).toBeGreaterThanOrEqual(1024);
    expect(LAB_VM_DEFAULTS.diskGib).toBeGreaterThanOrEqual(4);
    const help = (await orchestra(["lab", "up", "--help"])).stdout;
    expect(help).toMatch(/--memory-mib <n>\s+memory per VM \(default: "1024"\)/);
    expect(help).toMatch(/--disk-gib <n>\s+blank disk per VM \(default: "4"\)/);
  });
});
