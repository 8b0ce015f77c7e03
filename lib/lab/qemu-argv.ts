/**
 * @module lab/qemu-argv
 * The qemu command line of a lab VM, as a pure function: TCG (no KVM here), network boot
 * first through the NIC's iPXE option ROM, a blank disk, the serial console to a file, and
 * a QMP socket for the qemu power driver.
 */
import type { LabVm } from "./lab-state.ts";

/** Debian's OVMF build (package ovmf): read-only code, and variables each VM gets a copy of. */
export const OVMF_CODE = "/usr/share/OVMF/OVMF_CODE_4M.fd";
export const OVMF_VARS = "/usr/share/OVMF/OVMF_VARS_4M.fd";

/** The argv (qemu-system-x86_64 first) for `vm`; `varsPath` is its own OVMF variables file. */
export function qemuArgv(vm: LabVm, varsPath?: string): string[] {
  const argv = [
    "qemu-system-x86_64",
    "-name", vm.name,
    "-machine", vm.firmware === "uefi" ? "q35" : "pc",
    "-accel", "tcg",
    "-m", String(vm.memoryMib),
    "-smp", String(vm.cpus),
    "-display", "none",
    "-monitor", "none",
    "-serial", `file:${vm.consoleLog}`,
    "-qmp", `unix:${vm.qmpSocket},server=on,wait=off`,
    // A power-off or a reboot ends the process: the lab (and its tests) see a VM's end as its exit.
    "-no-reboot",
    "-boot", "order=n",
    "-netdev", `tap,id=n0,ifname=${vm.tap},script=no,downscript=no`,
    "-device", `${vm.nic},netdev=n0,mac=${vm.mac}`,
    "-drive", `file=${vm.diskPath},if=virtio,format=raw`,
  ];
  if (vm.firmware === "uefi") {
    if (!varsPath) throw new Error("a UEFI VM needs its own OVMF variables file");
    argv.push("-drive", `if=pflash,format=raw,unit=0,readonly=on,file=${OVMF_CODE}`, "-drive", `if=pflash,format=raw,unit=1,file=${varsPath}`);
  }
  return argv;
}
