/**
 * @module lab/qemu-argv
 * The qemu command line of a lab VM, as a pure function: TCG (no KVM here), the next boot
 * from the network or the disk, a blank disk, the serial console appended to a file, a QMP
 * socket, and its BMC: qemu daemonizes with a pidfile (its BMC's chassis_control program
 * starts and stops it) and connects its in-band IPMI interface to the BMC.
 */
import type { LabVm } from "./lab-state.ts";

/** Debian's OVMF build (package ovmf): read-only code, and variables each VM gets a copy of. */
export const OVMF_CODE = "/usr/share/OVMF/OVMF_CODE_4M.fd";
export const OVMF_VARS = "/usr/share/OVMF/OVMF_VARS_4M.fd";

/** Where the VM boots from this time. */
export type LabBootDevice = "pxe" | "disk";

/** A value inside a qemu `key=value,...` option: a comma is written twice. */
function optionValue(value: string): string {
  return value.replaceAll(",", ",,");
}

/** The argv (qemu-system-x86_64 first) for `vm` booting from `boot`; `varsPath` is a UEFI VM's own OVMF variables file. */
export function qemuArgv(vm: LabVm, boot: LabBootDevice, varsPath?: string): string[] {
  const [nicIndex, diskIndex] = boot === "pxe" ? [0, 1] : [1, 0];
  const argv = [
    "qemu-system-x86_64",
    "-name", vm.name,
    "-machine", vm.firmware === "uefi" ? "q35" : "pc",
    "-accel", "tcg",
    "-m", String(vm.memoryMib),
    "-smp", String(vm.cpus),
    "-display", "none",
    "-monitor", "none",
    // Started by the BMC's chassis_control program, which returns once the VM runs.
    "-daemonize",
    "-pidfile", vm.bmc.pidFile,
    // Appended, not truncated: a power cycle by the BMC keeps the console's history.
    "-chardev", `file,id=console0,path=${optionValue(vm.consoleLog)},append=on`,
    "-serial", "chardev:console0",
    "-qmp", `unix:${optionValue(vm.qmpSocket)},server=on,wait=off`,
    // The BMC in-band: qemu's BT interface on the ISA bus (also present on q35, through its
    // LPC bridge), backed by ipmi_sim over a socket; the guest sees /dev/ipmi0.
    "-chardev", `socket,id=ipmi0,host=127.0.0.1,port=${vm.bmc.serialPort},reconnect=10`,
    "-device", "ipmi-bmc-extern,chardev=ipmi0,id=bmc0",
    "-device", "isa-ipmi-bt,bmc=bmc0",
    // No -no-reboot: a reboot stays a reboot; a power-off ends qemu, and the BMC then says off.
    // SeaBIOS reads -boot order; OVMF follows bootindex: both say the same.
    "-boot", `order=${boot === "pxe" ? "n" : "c"}`,
    "-netdev", `tap,id=n0,ifname=${vm.tap},script=no,downscript=no`,
    "-device", `${vm.nic},netdev=n0,mac=${vm.mac},bootindex=${nicIndex}`,
    "-drive", `file=${optionValue(vm.diskPath)},if=none,id=disk0,format=raw`,
    "-device", `virtio-blk-pci,drive=disk0,bootindex=${diskIndex}`,
  ];
  if (vm.firmware === "uefi") {
    if (!varsPath) throw new Error("a UEFI VM needs its own OVMF variables file");
    argv.push("-drive", `if=pflash,format=raw,unit=0,readonly=on,file=${OVMF_CODE}`, "-drive", `if=pflash,format=raw,unit=1,file=${optionValue(varsPath)}`);
  }
  return argv;
}
