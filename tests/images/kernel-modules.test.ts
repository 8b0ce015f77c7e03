import { describe, expect, it } from "vitest";
import { moduleName, parseModulesDep, resolveModuleOrder } from "../../lib/images/kernel-modules.ts";

const dep = parseModulesDep(
  [
    "kernel/drivers/net/virtio_net.ko: kernel/drivers/net/net_failover.ko kernel/net/core/failover.ko",
    "kernel/drivers/net/net_failover.ko: kernel/net/core/failover.ko",
    "kernel/net/core/failover.ko:",
    "kernel/drivers/net/ethernet/intel/e1000/e1000.ko:",
    "kernel/drivers/block/zstd-thing.ko.zst:",
  ].join("\n"),
);

describe("kernel module order", () => {
  it("loads every dependency before the module that needs it, once", () => {
    expect(resolveModuleOrder(["virtio_net", "e1000", "virtio-net"], dep, new Set())).toEqual([
      "kernel/net/core/failover.ko",
      "kernel/drivers/net/net_failover.ko",
      "kernel/drivers/net/virtio_net.ko",
      "kernel/drivers/net/ethernet/intel/e1000/e1000.ko",
    ]);
  });

  it("skips built-in drivers and refuses unknown or compressed ones", () => {
    expect(resolveModuleOrder(["virtio_pci"], dep, new Set(["virtio_pci"]))).toEqual([]);
    expect(() => resolveModuleOrder(["nosuchdriver"], dep, new Set())).toThrow(/no driver nosuchdriver/);
    expect(() => resolveModuleOrder(["zstd_thing"], dep, new Set())).toThrow(/compressed/);
  });

  it("names modules as the kernel does", () => {
    expect(moduleName("kernel/drivers/net/virtio-net.ko.xz")).toBe("virtio_net");
  });
});
