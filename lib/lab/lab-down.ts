/**
 * @module lab/lab-down
 * `orchestra lab down`: stop every process the lab started (by pid), then anything else
 * still inside its namespace, delete the namespace and the lab's files.
 */
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { OrchestraError } from "../errors.ts";
import { dhcpPaths } from "../boot/dhcp-service.ts";
import { processStartTime, stopProcess } from "./lab-processes.ts";
import { labDir, labNamespace, labSiteNamespace, readLabState } from "./lab-state.ts";
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
  // VMs first (nothing boots against a server going away), then the relay, then the server,
  // which stops its own dnsmasq.
  const processes = [...(state?.vms ?? []).map((vm) => vm.process), state?.relay, state?.serve, state?.siteDhcp].filter((p) => p !== undefined);
  for (const process of processes) {
    if (await stopProcess(process, process.role === "serve" ? 10_000 : 5000)) stopped.push(`${process.role} (pid ${process.pid})`);
  }
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
  // The server's dnsmasq files belong to the lab too; the images and the inventory stay.
  await rm(join(dhcp.configPath, ".."), { recursive: true, force: true });
  await rm(dhcp.tftpRoot, { recursive: true, force: true });
  return { namespace, stopped };
}
