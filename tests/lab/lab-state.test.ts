import { describe, expect, it } from "vitest";
import { labMac, labNamespace } from "../../lib/lab/lab-state.ts";
import { parseMac } from "../../lib/inventory/mac-address.ts";

describe("lab naming", () => {
  it("gives each data directory its own namespace, stable across runs", () => {
    expect(labNamespace("/tmp/a")).toBe(labNamespace("/tmp/a"));
    expect(labNamespace("/tmp/a")).not.toBe(labNamespace("/tmp/b"));
    expect(labNamespace("/tmp/a")).toMatch(/^orch-lab-[0-9a-f]{8}$/);
    expect(labNamespace("/a/very/long/path/".repeat(20))).toMatch(/^orch-lab-[0-9a-f]{8}$/);
  });

  it("gives VMs valid, distinct unicast MACs in qemu's prefix", () => {
    const macs = Array.from({ length: 16 }, (_, i) => labMac("/tmp/a", i));
    expect(new Set(macs).size).toBe(16);
    for (const mac of macs) {
      expect(parseMac(mac)).toBe(mac);
      expect(mac.startsWith("52:54:00:")).toBe(true);
    }
    expect(labMac("/tmp/a", 0)).toBe(labMac("/tmp/a", 0));
  });
});
