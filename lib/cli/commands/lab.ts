/**
 * @module cli/commands/lab
 * `orchestra lab up|status|down`: the virtual data centre tests and demos run against.
 */
import { LAB_VM_DEFAULTS } from "../../lab/lab-up.ts";
import { writeFile, rename } from "node:fs/promises";
import { Command } from "commander";
import { OrchestraError } from "../../errors.ts";
import { labDown } from "../../lab/lab-down.ts";
import type { LabFirmware } from "../../lab/lab-state.ts";
import { labStatus } from "../../lab/lab-status.ts";
import { labUp } from "../../lab/lab-up.ts";
import { startLoopbackRelay } from "../../lab/loopback-relay.ts";
import { resolveDataDir } from "../../store/data-dir.ts";
import { printJson } from "../output.ts";
import { parseWholeNumber } from "../parse-options.ts";

/** The `lab` command group. */
export function labCommand(): Command {
  const lab = new Command("lab").description("a virtual data centre on this host (root): a network namespace, orchestra serve, dnsmasq, and qemu VMs behind IPMI BMCs (ipmi_sim)");

  lab
    .command("up")
    .description("create the lab and N VMs, each behind its own IPMI BMC, powered on through it to network-boot and enlist; returns once they are on")
    .option("--nodes <n>", "how many VMs", "1")
    .option("--firmware <list>", "firmware per VM, cycled: bios, uefi or a list such as bios,uefi", "bios")
    .option("--memory-mib <n>", "memory per VM", String(LAB_VM_DEFAULTS.memoryMib))
    .option("--cpus <n>", "CPUs per VM", "1")
    .option("--disk-gib <n>", "blank disk per VM", String(LAB_VM_DEFAULTS.diskGib))
    .option("--dhcp <mode>", "dhcp: Orchestra's dnsmasq hands out addresses; proxy: a separate site DHCP server does and Orchestra runs proxy-DHCP beside it", "dhcp")
    .option("--auto-accept", "the lab's server accepts enlisted machines at once")
    .option("--erase-disks <mode>", "the lab's server erases released machines' disks: quick or full")
    .option("--fanout", "the lab's server shares deploy images peer to peer (serve --fanout): VMs deploying one image at once fetch it from each other by BitTorrent, HTTP the fallback; needs aria2c (Debian's aria2)")
    .option("--json", "print the lab's status as JSON")
    .action(async (_options, command: Command) => {
      const o = command.optsWithGlobals();
      const dataDir = resolveDataDir(o.dataDir);
      await labUp({
        dataDir,
        nodes: parseWholeNumber("--nodes", o.nodes),
        firmware: String(o.firmware).split(",").map((f) => f.trim()) as LabFirmware[],
        memoryMib: parseWholeNumber("--memory-mib", o.memoryMib),
        cpus: parseWholeNumber("--cpus", o.cpus),
        diskGib: parseWholeNumber("--disk-gib", o.diskGib),
        dhcpMode: o.dhcp,
        fanout: o.fanout === true,
        // Checked by serve itself, which refuses an unknown mode before the lab goes on.
        serveArgs: [...(o.autoAccept ? ["--auto-accept"] : []), ...(o.eraseDisks !== undefined ? ["--erase-disks", String(o.eraseDisks)] : [])],
      });
      const status = await labStatus(dataDir);
      if (o.json) printJson(status);
      else process.stdout.write(`lab up: ${status?.vms.length ?? 0} VM(s) in namespace ${status?.namespace}; on the host: boot ${status?.bootUrl}, EC2 API ${status?.apiUrl}\n`);
    });

  lab
    .command("status")
    .description("the lab's addresses and VMs")
    .option("--json", "print JSON")
    .action(async (_options, command: Command) => {
      const o = command.optsWithGlobals();
      const status = await labStatus(resolveDataDir(o.dataDir));
      if (!status) throw new OrchestraError("LAB_NOT_RUNNING", "no lab is running for this data directory");
      if (o.json) {
        printJson(status);
        return;
      }
      const lines = [
        `namespace: ${status.namespace} (${status.running ? "running" : "server not running"}; DHCP mode ${status.dhcpMode}${status.fanout ? "; fan-out on" : ""})`,
        `boot (host): ${status.bootUrl ?? "-"}`,
        `EC2 API (host): ${status.apiUrl ?? "-"}`,
        `boot (nodes): ${status.nodeBootUrl}`,
        ...status.vms.map((vm) => `${vm.name} ${vm.mac} ${vm.firmware} BMC ${vm.bmc.address}:${vm.bmc.port} (user ${vm.bmc.username}${vm.bmc.running ? "" : ", BMC not running"}) power ${vm.power} pid ${vm.pid ?? "-"} console ${vm.consoleLog}`),
      ];
      process.stdout.write(`${lines.join("\n")}\n`);
    });

  lab
    .command("down")
    .description("stop everything the lab started and remove its namespace and files")
    .action(async (_options, command: Command) => {
      const report = await labDown(resolveDataDir(command.optsWithGlobals().dataDir));
      process.stdout.write(`lab down: namespace ${report.namespace} removed; stopped ${report.stopped.length ? report.stopped.join(", ") : "nothing"}\n`);
    });

  // Started by `lab up`, not by people: publishes the boot socket on the host's loopback.
  lab
    .command("relay", { hidden: true })
    .requiredOption("--socket <path>")
    .requiredOption("--port-file <path>")
    .option("--port <n>", "the loopback port (default: any free one)", "0")
    .action(async (o: { socket: string; portFile: string; port: string }) => {
      const relay = await startLoopbackRelay(o.socket, parseWholeNumber("--port", o.port));
      await writeFile(`${o.portFile}.tmp`, `${relay.port}\n`);
      await rename(`${o.portFile}.tmp`, o.portFile);
      await new Promise<void>((resolve) => {
        process.once("SIGTERM", resolve);
        process.once("SIGINT", resolve);
      });
      await relay.close();
    });

  return lab;
}
