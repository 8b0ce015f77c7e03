import { describe, expect, it } from "vitest";
import type { LabVm } from "../../lib/lab/lab-state.ts";
import { OVMF_CODE, qemuArgv } from "../../lib/lab/qemu-argv.ts";

const vm: LabVm = {
  name: "node0",
  mac: "52:54:00:12:34:00",
  firmware: "bios",
  nic: "e1000",
  tap: "tap0",
  memoryMib: 512,
  cpus: 1,
  diskBytes: 1024 ** 3,
  diskPath: "/lab/node0.disk",
  consoleLog: "/lab/node0.console.log",
  qmpSocket: "/lab/node0.qmp",
};

function after(argv: string[], flag: string): string[] {
  return argv.flatMap((arg, i) => (arg === flag ? [argv[i + 1]!] : []));
}

describe("a lab VM's qemu command line", () => {
  it("boots from the network first, with TCG, its NIC on its tap, a blank disk and a serial log", () => {
    const argv = qemuArgv(vm);
    expect(argv[0]).toBe("qemu-system-x86_64");
    expect(after(argv, "-accel")).toEqual(["tcg"]);
    expect(after(argv, "-boot")).toEqual(["order=n"]);
    expect(after(argv, "-machine")).toEqual(["pc"]);
    expect(after(argv, "-netdev")).toEqual(["tap,id=n0,ifname=tap0,script=no,downscript=no"]);
    expect(after(argv, "-device")).toEqual(["e1000,netdev=n0,mac=52:54:00:12:34:00"]);
    expect(after(argv, "-drive")).toEqual(["file=/lab/node0.disk,if=virtio,format=raw"]);
    expect(after(argv, "-serial")).toEqual(["file:/lab/node0.console.log"]);
    expect(after(argv, "-qmp")).toEqual(["unix:/lab/node0.qmp,server=on,wait=off"]);
    expect(argv).toContain("-no-reboot");
  });

  it("a UEFI VM gets OVMF as read-only code plus its own variables file", () => {
    const argv = qemuArgv({ ...vm, firmware: "uefi", nic: "virtio-net-pci" }, "/lab/node0.vars");
    expect(after(argv, "-machine")).toEqual(["q35"]);
    expect(after(argv, "-drive")).toEqual(["file=/lab/node0.disk,if=virtio,format=raw", `if=pflash,format=raw,unit=0,readonly=on,file=${OVMF_CODE}`, "if=pflash,format=raw,unit=1,file=/lab/node0.vars"]);
    expect(() => qemuArgv({ ...vm, firmware: "uefi" })).toThrow(/variables/);
  });
});
