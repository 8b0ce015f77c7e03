/**
 * @module lab/lab-down
 * `orchestra lab down`: stop every process the lab started (by pid), then anything else
 * still inside its namespace, delete the namespace and the lab's files (the VMs' console
 * logs among them).
 */
import { rm, rmdir } from "node:fs/promises";
import { join } from "node:path";
import { OrchestraError } from "../errors.ts";
import { dhcpPaths } from "../boot/dhcp-service.ts";
import { pidFileProcess, processStartTime, stopProcess } from "./lab-processes.ts";
import { type LabProcess, labDir, labNamespace, labSiteNamespace, readLabState } from "./lab-state.ts";
import { deleteNamespace, namespaceExists, namespacePids } from "./network-namespace.ts";

/** What `lab down` removed. */
export interface LabDownReport {
  readonly namespace: string;
  readonly stopped: readonly string[];
}

/** Take the lab of `dataDir` down. Throws LAB_NOT_RUNNING when there is nothing to remove. */
export async function labDown(dataDir: string): Promise<LabDownReport> {
  const state = await readLabState(dataDir);
  const namespace = state?.namespace ?? labNamespace(dataDir);
  if (!state && !(await namespaceExists(namespace))) {
    throw new OrchestraError("LAB_NOT_RUNNING", `no lab is running for ${dataDir}`, { dataDir });
  }
  const stopped: string[] = [];
  const stop = async (process: LabProcess | undefined, graceMs = 5000) => {
    if (process && (await stopProcess(process, graceMs))) stopped.push(`${process.role} (pid ${process.pid})`);
  };
  // VMs first (nothing boots against a server going away): each BMC before its VM, so that
  // nothing starts the VM again; ipmi_sim does not stop the qemu it started, so both go.
  for (const vm of state?.vms ?? []) {
    await stop(vm.bmc.process);
    await stop(await pidFileProcess(`vm ${vm.name}`, vm.bmc.pidFile));
  }
  // Then the relays, then the server, which stops its own dnsmasq.
  for (const process of [state?.relay, state?.apiRelay, state?.serve, state?.siteDhcp]) await stop(process, process?.role === "serve" ? 10_000 : 5000);
  for (const ns of [namespace, state?.siteNamespace ?? labSiteNamespace(dataDir)]) {
    if (!(await namespaceExists(ns))) continue;
    // Whatever is left inside the namespace was started by this lab (a dnsmasq orphaned by a
    // killed server, say): stop it by pid before the namespace goes.
    for (const pid of await namespacePids(ns)) {
      const startTime = await processStartTime(pid);
      if (startTime === undefined) continue;
      if (await stopProcess({ role: "leftover", pid, startTime })) stopped.push(`leftover (pid ${pid})`);
    }
    await deleteNamespace(ns);
  }
  const dhcp = dhcpPaths(dataDir);
  await rm(labDir(dataDir), { recursive: true, force: true });
  for (const vm of state?.vms ?? []) await rm(vm.consoleLog, { force: true });
  // The consoles directory goes too once the lab's were the only logs in it.
  await rmdir(join(dataDir, "consoles")).catch(() => undefined);
  // The server's dnsmasq files belong to the lab too; the images and the inventory stay.
  await rm(join(dhcp.configPath, ".."), { recursive: true, force: true });
  await rm(dhcp.tftpRoot, { recursive: true, force: true });
  return { namespace, stopped };
}
