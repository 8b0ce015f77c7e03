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
  consoleLog: "/data/consoles/52-54-00-12-34-00.log",
  qmpSocket: "/lab/node0.qmp",
  bmc: { address: "192.0.2.10", port: 623, username: "admin", password: "pw", serialPort: 9000, dir: "/lab/node0.bmc", pidFile: "/lab/node0.pid" },
};

function after(argv: string[], flag: string): string[] {
  return argv.flatMap((arg, i) => (arg === flag ? [argv[i + 1]!] : []));
}

describe("a lab VM's qemu command line", () => {
  it("boots from the network, with TCG, its NIC on its tap, a blank disk, and daemonizes with a pidfile", () => {
    const argv = qemuArgv(vm, "pxe");
    expect(argv[0]).toBe("qemu-system-x86_64");
    expect(after(argv, "-accel")).toEqual(["tcg"]);
    expect(after(argv, "-boot")).toEqual(["order=n"]);
    expect(after(argv, "-machine")).toEqual(["pc"]);
    expect(after(argv, "-netdev")).toEqual(["tap,id=n0,ifname=tap0,script=no,downscript=no"]);
    expect(after(argv, "-drive")).toEqual(["file=/lab/node0.disk,if=none,id=disk0,format=raw"]);
    expect(after(argv, "-qmp")).toEqual(["unix:/lab/node0.qmp,server=on,wait=off"]);
    expect(argv).toContain("-daemonize");
    expect(after(argv, "-pidfile")).toEqual(["/lab/node0.pid"]);
    // A reboot stays a reboot: only a power-off ends qemu.
    expect(argv).not.toContain("-no-reboot");
  });

  it("puts the NIC or the disk first as the next boot device says, for SeaBIOS and OVMF alike", () => {
    const pxe = qemuArgv(vm, "pxe");
    expect(after(pxe, "-device")).toContain("e1000,netdev=n0,mac=52:54:00:12:34:00,bootindex=0");
    expect(after(pxe, "-device")).toContain("virtio-blk-pci,drive=disk0,bootindex=1");
    const disk = qemuArgv(vm, "disk");
    expect(after(disk, "-boot")).toEqual(["order=c"]);
    expect(after(disk, "-device")).toContain("e1000,netdev=n0,mac=52:54:00:12:34:00,bootindex=1");
    expect(after(disk, "-device")).toContain("virtio-blk-pci,drive=disk0,bootindex=0");
  });

  it("appends the serial console to its file, so a power cycle by the BMC keeps the history", () => {
    const argv = qemuArgv(vm, "pxe");
    expect(after(argv, "-chardev")).toContain("file,id=console0,path=/data/consoles/52-54-00-12-34-00.log,append=on");
    expect(after(argv, "-serial")).toEqual(["chardev:console0"]);
    // A comma in a path is doubled, or qemu would read the rest as another option.
    expect(after(qemuArgv({ ...vm, consoleLog: "/a,b/c.log" }, "pxe"), "-chardev")).toContain("file,id=console0,path=/a,,b/c.log,append=on");
  });

  it("connects the guest's in-band IPMI interface to the BMC", () => {
    const argv = qemuArgv(vm, "pxe");
    expect(after(argv, "-chardev")).toContain("socket,id=ipmi0,host=127.0.0.1,port=9000,reconnect=10");
    expect(after(argv, "-device")).toEqual(expect.arrayContaining(["ipmi-bmc-extern,chardev=ipmi0,id=bmc0", "isa-ipmi-bt,bmc=bmc0"]));
  });

  it("a UEFI VM gets OVMF as read-only code plus its own variables file", () => {
    const argv = qemuArgv({ ...vm, firmware: "uefi", nic: "virtio-net-pci" }, "pxe", "/lab/node0.vars");
    expect(after(argv, "-machine")).toEqual(["q35"]);
    expect(after(argv, "-drive")).toEqual(["file=/lab/node0.disk,if=none,id=disk0,format=raw", `if=pflash,format=raw,unit=0,readonly=on,file=${OVMF_CODE}`, "if=pflash,format=raw,unit=1,file=/lab/node0.vars"]);
    expect(() => qemuArgv({ ...vm, firmware: "uefi" }, "pxe")).toThrow(/variables/);
  });
});
