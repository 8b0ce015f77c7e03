/**
 * @module lab/lab-state
 * What a running lab is made of, written to `<data dir>/lab/lab.json` as each piece is
 * created, so that `lab down` can remove exactly that, even after a half-finished `lab up`.
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { writeFileAtomic } from "../files/write-file-atomic.ts";

/** A process the lab started, identified by pid and kernel start time (pids get reused). */
export interface LabProcess {
  readonly role: string;
  readonly pid: number;
  readonly startTime: string;
}

/** Firmware a lab VM boots with. */
export type LabFirmware = "bios" | "uefi";

/**
 * A VM's BMC: an ipmi_sim inside the lab's namespace, its LAN channel on its own address on
 * the bridge, that starts and stops the VM's qemu through a chassis_control program. The
 * password is the BMC's admin password (random per BMC): the state file is kept 0600.
 */
export interface LabBmc {
  readonly address: string;
  readonly port: number;
  readonly username: string;
  readonly password: string;
  /** Where ipmi_sim listens (namespace loopback) for the VM's in-band BMC interface. */
  readonly serialPort: number;
  /** ipmi_sim's configuration, programs and persisted state. */
  readonly dir: string;
  /** qemu's pidfile, written by qemu itself (-daemonize -pidfile): the VM runs iff it names a live qemu. */
  readonly pidFile: string;
  readonly process?: LabProcess;
}

/** One virtual machine of the lab. */
export interface LabVm {
  readonly name: string;
  readonly mac: string;
  readonly firmware: LabFirmware;
  readonly nic: string;
  readonly tap: string;
  readonly memoryMib: number;
  readonly cpus: number;
  readonly diskBytes: number;
  readonly diskPath: string;
  /** The serial console, appended to across power cycles (see labConsoleLog). */
  readonly consoleLog: string;
  readonly qmpSocket: string;
  readonly bmc: LabBmc;
}

/** The lab's state file. */
export interface LabState {
  readonly dataDir: string;
  readonly namespace: string;
  /** `dhcp`: Orchestra's dnsmasq hands out addresses; `proxy`: a separate "site" DHCP server does, Orchestra only adds boot data. */
  readonly dhcpMode: "dhcp" | "proxy";
  /** In proxy mode, the namespace of the site's own DHCP server, joined to the bridge by a veth pair. */
  readonly siteNamespace?: string;
  readonly siteDhcp?: LabProcess;
  /** Whether the server shares deploy images peer to peer (`serve --fanout`); absent in labs made before it existed. */
  readonly fanout?: boolean;
  readonly bridge: string;
  readonly serverAddress: string;
  readonly prefixLength: number;
  readonly bootPort: number;
  /** The boot service as the host reaches it (a loopback relay into the namespace). */
  readonly hostBootUrl?: string;
  /** The EC2 API as the host reaches it (likewise). */
  readonly hostApiUrl?: string;
  readonly apiPort: number;
  readonly bootSocket: string;
  readonly apiSocket: string;
  readonly serve?: LabProcess;
  readonly relay?: LabProcess;
  readonly apiRelay?: LabProcess;
  readonly vms: readonly LabVm[];
  readonly createdAt: string;
}

/** The lab's directory inside a data directory. */
export function labDir(dataDir: string): string {
  return join(dataDir, "lab");
}

/** The state file's path. */
export function labStatePath(dataDir: string): string {
  return join(labDir(dataDir), "lab.json");
}

/** The namespace name for a data directory: one lab per data directory, several labs per host. */
export function labNamespace(dataDir: string): string {
  return `orch-lab-${createHash("sha256").update(dataDir).digest("hex").slice(0, 8)}`;
}

/** The namespace of a proxy-mode lab's site DHCP server. */
export function labSiteNamespace(dataDir: string): string {
  return `orch-site-${createHash("sha256").update(dataDir).digest("hex").slice(0, 8)}`;
}

/** A stable, locally administered MAC for VM `index` of a data directory's lab (qemu's 52:54:00 prefix). */
export function labMac(dataDir: string, index: number): string {
  const digest = createHash("sha256").update(`${dataDir}\0${index}`).digest();
  // The last octet is the index itself, so VMs of one lab never collide.
  return `52:54:00:${digest.subarray(0, 2).toString("hex").match(/../g)!.join(":")}:${(index & 0xff).toString(16).padStart(2, "0")}`;
}

/**
 * Where a VM's serial console is written: `<data dir>/consoles/<mac with dashes>.log`, by
 * MAC so that the server can find a machine's console without knowing the lab.
 */
export function labConsoleLog(dataDir: string, mac: string): string {
  return join(dataDir, "consoles", `${mac.toLowerCase().replaceAll(":", "-")}.log`);
}

/** Read the state file, or undefined when there is none. */
export async function readLabState(dataDir: string): Promise<LabState | undefined> {
  try {
    return JSON.parse(await readFile(labStatePath(dataDir), "utf8")) as LabState;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

/** Write the state file atomically, readable by root only: it holds the BMCs' passwords. */
export async function writeLabState(state: LabState): Promise<void> {
  await writeFileAtomic(labStatePath(state.dataDir), `${JSON.stringify(state, null, 2)}\n`, 0o600);
}
