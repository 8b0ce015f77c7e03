/**
 * @module lab/lab-up
 * `orchestra lab up`: a virtual data centre on one host. A network namespace with a bridge
 * on TEST-NET-1, `orchestra serve` inside it (boot HTTP, enlistment, supervised dnsmasq),
 * a loopback relay so the host can reach it, and N qemu VMs, each behind its own IPMI BMC
 * (ipmi_sim on the bridge), powered on through their BMCs to network-boot and enlist.
 * Every piece is recorded in the state file as soon as it exists; if any step fails, what
 * was made is removed again before the error is reported.
 */
import { copyFile, mkdir, readFile, stat, truncate, writeFile } from "node:fs/promises";
import { get } from "node:http";
import { dirname, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { execa } from "execa";
import { OrchestraError } from "../errors.ts";
import { buildDiscoveryImage } from "../images/build-discovery.ts";
import { findImageByRole } from "../images/image-store.ts";
import { labDown } from "./lab-down.ts";
import { bmcTarget, labIpmiDriver, labPowerDrivers, randomBmcPassword, startBmc, waitForBmc, writeBmcFiles } from "./lab-bmc.ts";
import { isRunning, startDetached } from "./lab-processes.ts";
import { type LabFirmware, type LabProcess, type LabState, type LabVm, labConsoleLog, labDir, labMac, labNamespace, labSiteNamespace, readLabState, writeLabState } from "./lab-state.ts";
import { addAddress, addTap, createLabNetwork, createSiteNetwork, namespaceExists } from "./network-namespace.ts";
import { orchestraArgv } from "./orchestra-command.ts";
import { SERVE_NODE_FLAGS } from "../server/serve-node-flags.ts";
import { OVMF_CODE, OVMF_VARS } from "./qemu-argv.ts";

/** What to build. */
/**
 * A lab VM's size unless told otherwise: enough for the README's whole flow (commission,
 * `images build-os`, RunInstances with the smallest type): the deploy ramdisk runs in 1 GiB,
 * and the built Debian image (about 1.1 GiB) fits a 4 GiB disk with room for its first boot.
 * 512 MiB and 1 GiB, the old defaults, commissioned but could not deploy.
 */
export const LAB_VM_DEFAULTS = { memoryMib: 1024, diskGib: 4 } as const;

export interface LabUpOptions {
  readonly dataDir: string;
  readonly nodes: number;
  /** Firmware per VM, cycled: ["bios", "uefi"] gives bios, uefi, bios, ... */
  readonly firmware?: readonly LabFirmware[];
  readonly memoryMib?: number;
  readonly cpus?: number;
  readonly diskGib?: number;
  /** Who hands out addresses: Orchestra's dnsmasq (`dhcp`, default) or a separate site server beside it (`proxy`). */
  readonly dhcpMode?: "dhcp" | "proxy";
  /**
   * The lab's server shares deploy images peer to peer (`orchestra serve --fanout`): VMs
   * deploying the same image at once fetch it from each other by BitTorrent, HTTP the fallback.
   */
  readonly fanout?: boolean;
  /** Extra `orchestra serve` arguments (e.g. --auto-accept). */
  readonly serveArgs?: readonly string[];
  /** How long to wait for the server to answer, in milliseconds. */
  readonly readyTimeoutMs?: number;
}

/** TEST-NET-1 (RFC 5737): documentation addresses, never routed anywhere. */
export const LAB_SERVER_ADDRESS = "192.0.2.1";
export const LAB_PREFIX_LENGTH = 24;
export const LAB_DHCP_RANGE = "192.0.2.100-192.0.2.200";
export const LAB_NETWORK = "192.0.2.0";
/** The site DHCP server's address in proxy mode. */
export const LAB_SITE_DHCP_ADDRESS = "192.0.2.2";
export const LAB_BOOT_PORT = 5248;
export const LAB_API_PORT = 8773;
export const LAB_MAX_NODES = 16;
/** VM n's BMC listens on 192.0.2.(10 + n), port 623, below the DHCP range. */
export const LAB_BMC_PORT = 623;
const LAB_BMC_FIRST_HOST = 10;
/** ipmi_sim's listener for VM n's in-band interface, on the namespace's loopback. */
const LAB_BMC_SERIAL_PORT_BASE = 9000;

/** The BMC address of VM `index`. */
export function labBmcAddress(index: number): string {
  return `192.0.2.${LAB_BMC_FIRST_HOST + index}`;
}

async function requireProgram(program: string, debianPackage: string): Promise<void> {
  const found = await execa("which", [program], { reject: false });
  if (found.exitCode !== 0) throw new OrchestraError("PREREQUISITE_MISSING", `${program} not found: apt-get install ${debianPackage}`, { program });
}

async function requireFile(path: string, debianPackage: string): Promise<void> {
  if (!(await stat(path).catch(() => undefined))) throw new OrchestraError("PREREQUISITE_MISSING", `${path} not found: apt-get install ${debianPackage}`, { path });
}

function healthz(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const request = get({ socketPath, path: "/healthz", timeout: 2000 }, (response) => {
      response.resume();
      resolve(response.statusCode === 200);
    });
    request.on("error", () => resolve(false));
    request.on("timeout", () => request.destroy());
  });
}

async function tail(path: string, lines = 20): Promise<string> {
  const text = await readFile(path, "utf8").catch(() => "");
  return text.split("\n").slice(-lines).join("\n");
}

/** Start a loopback relay to `socket`; its port is known once it has written it to a file. */
async function startRelay(role: string, socket: string, dir: string): Promise<{ process: LabProcess; port: Promise<number> }> {
  const name = role.replaceAll(" ", "-");
  const portFile = join(dir, `${name}.port`);
  const logFile = join(dir, `${name}.log`);
  const relay = await startDetached(role, [...orchestraArgv(), "lab", "relay", "--socket", socket, "--port-file", portFile], logFile);
  // A relay is a whole Node process: on a loaded two-core host its start took over 10 s, so
  // it gets a minute to write its port (it still fails at once if it exits: see the log tail).
  const port = (async () => {
    for (let i = 0; i < 600; i++) {
      const text = await readFile(portFile, "utf8").catch(() => "");
      if (/^\d+\n$/.test(text)) return Number(text);
      await sleep(100);
    }
    throw new OrchestraError("LAB_FAILED", `the ${role} did not start:\n${await tail(logFile)}`);
  })();
  // The caller records the process before awaiting the port, so that a failure still stops it.
  port.catch(() => undefined);
  return { process: relay, port };
}

/** Bring the lab up; resolves with its state once the server answers and every VM has started. */
export async function labUp(options: LabUpOptions): Promise<LabState> {
  const { dataDir } = options;
  if (!Number.isSafeInteger(options.nodes) || options.nodes < 0 || options.nodes > LAB_MAX_NODES) {
    throw new OrchestraError("INVALID_ARGUMENT", `--nodes must be a whole number from 0 to ${LAB_MAX_NODES}`);
  }
  const dhcpMode = options.dhcpMode ?? "dhcp";
  if (dhcpMode !== "dhcp" && dhcpMode !== "proxy") throw new OrchestraError("INVALID_ARGUMENT", `unknown DHCP mode ${JSON.stringify(dhcpMode)}: dhcp or proxy`);
  const firmware = options.firmware?.length ? options.firmware : (["bios"] as const);
  for (const f of firmware) if (f !== "bios" && f !== "uefi") throw new OrchestraError("INVALID_ARGUMENT", `unknown firmware ${JSON.stringify(f)}: bios or uefi`);
  if (process.getuid?.() !== 0) throw new OrchestraError("PREREQUISITE_MISSING", "the lab creates network namespaces and tap devices: run it as root");
  await requireProgram("ip", "iproute2");
  await requireProgram("qemu-system-x86_64", "qemu-system-x86");
  await requireProgram("dnsmasq", "dnsmasq-base");
  await requireFile("/usr/lib/ipxe/undionly.kpxe", "ipxe");
  await requireProgram("ipmi_sim", "openipmi");
  await requireProgram("ipmitool", "ipmitool");
  // The server seeds with aria2c and the deploy ramdisk carries the host's aria2c.
  if (options.fanout) await requireProgram("aria2c", "aria2");
  if (firmware.includes("uefi")) {
    await requireFile(OVMF_CODE, "ovmf");
    await requireFile(OVMF_VARS, "ovmf");
  }

  const namespace = labNamespace(dataDir);
  if ((await readLabState(dataDir)) || (await namespaceExists(namespace)) || (await namespaceExists(labSiteNamespace(dataDir)))) {
    throw new OrchestraError("LAB_ALREADY_RUNNING", `a lab for ${dataDir} exists already (namespace ${namespace}); run orchestra lab down first`, { namespace });
  }
  if (!(await findImageByRole(dataDir, "discovery"))) await buildDiscoveryImage(dataDir);

  const dir = labDir(dataDir);
  await mkdir(dir, { recursive: true });
  let state: LabState = {
    dataDir,
    namespace,
    dhcpMode,
    fanout: options.fanout === true,
    bridge: "br0",
    serverAddress: LAB_SERVER_ADDRESS,
    prefixLength: LAB_PREFIX_LENGTH,
    bootPort: LAB_BOOT_PORT,
    apiPort: LAB_API_PORT,
    bootSocket: join(dir, "boot.sock"),
    apiSocket: join(dir, "api.sock"),
    vms: [],
    createdAt: new Date().toISOString(),
  };
  await writeLabState(state);

  try {
    await createLabNetwork(namespace, state.bridge, state.serverAddress, state.prefixLength);
    if (dhcpMode === "proxy") {
      const siteNamespace = labSiteNamespace(dataDir);
      state = { ...state, siteNamespace };
      await writeLabState(state);
      const siteInterface = await createSiteNetwork(namespace, state.bridge, siteNamespace, LAB_SITE_DHCP_ADDRESS, state.prefixLength);
      const [start, end] = LAB_DHCP_RANGE.split("-");
      // The site's DHCP server knows nothing of network boot: addresses only.
      const siteDhcp = await startDetached("site dhcp", [
        "ip", "netns", "exec", siteNamespace,
        "dnsmasq", "--keep-in-foreground", "--conf-file=/dev/null", "--port=0", `--interface=${siteInterface}`, "--bind-interfaces",
        `--dhcp-range=${start},${end},255.255.255.0,1h`, `--dhcp-leasefile=${join(dir, "site.leases")}`, "--log-dhcp", "--log-facility=-", "--user=root",
      ], join(dir, "site-dhcp.log"));
      state = { ...state, siteDhcp };
      await writeLabState(state);
    }

    const serveLog = join(dir, "serve.log");
    const serve = await startDetached("serve", [
      "ip", "netns", "exec", namespace,
      ...orchestraArgv(SERVE_NODE_FLAGS),
      "serve",
      "--data-dir", dataDir,
      "--boot-listen", `${state.serverAddress}:${state.bootPort}`,
      "--boot-socket", state.bootSocket,
      "--api-listen", `${state.serverAddress}:${state.apiPort}`,
      "--api-socket", state.apiSocket,
      "--dhcp-interface", state.bridge,
      ...(dhcpMode === "proxy" ? ["--dhcp-proxy", LAB_NETWORK] : ["--dhcp-range", LAB_DHCP_RANGE]),
      // Inside a throwaway namespace, dropping to another user only costs file permissions.
      "--dnsmasq-user", "root",
      "--kernel-args", "console=ttyS0",
      ...(options.fanout ? ["--fanout"] : []),
      ...(options.serveArgs ?? []),
    ], serveLog);
    state = { ...state, serve };
    await writeLabState(state);
    const deadline = Date.now() + (options.readyTimeoutMs ?? 30_000);
    // The EC2 listener starts after the boot listener: wait for both.
    while (!(await healthz(state.bootSocket)) || !(await stat(state.apiSocket).catch(() => undefined))) {
      if (!(await isRunning(serve))) throw new OrchestraError("LAB_FAILED", `orchestra serve exited during start:\n${await tail(serveLog)}`);
      if (Date.now() > deadline) throw new OrchestraError("LAB_FAILED", `orchestra serve did not answer within ${options.readyTimeoutMs ?? 30_000} ms:\n${await tail(serveLog)}`);
      await sleep(200);
    }

    const bootRelay = await startRelay("relay", state.bootSocket, dir);
    state = { ...state, relay: bootRelay.process };
    await writeLabState(state);
    state = { ...state, hostBootUrl: `http://127.0.0.1:${await bootRelay.port}` };
    await writeLabState(state);
    const apiRelay = await startRelay("api relay", state.apiSocket, dir);
    state = { ...state, apiRelay: apiRelay.process };
    await writeLabState(state);
    state = { ...state, hostApiUrl: `http://127.0.0.1:${await apiRelay.port}` };
    await writeLabState(state);

    const drivers = labPowerDrivers(namespace);
    for (let index = 0; index < options.nodes; index++) {
      const vmFirmware = firmware[index % firmware.length]!;
      const name = `node${index}`;
      const mac = labMac(dataDir, index);
      let vm: LabVm = {
        name,
        mac,
        firmware: vmFirmware,
        // Both NIC families the discovery ramdisk must drive: Intel e1000 and virtio.
        nic: vmFirmware === "uefi" ? "virtio-net-pci" : "e1000",
        tap: `tap${index}`,
        memoryMib: options.memoryMib ?? LAB_VM_DEFAULTS.memoryMib,
        cpus: options.cpus ?? 1,
        diskBytes: (options.diskGib ?? LAB_VM_DEFAULTS.diskGib) * 1024 ** 3,
        diskPath: join(dir, `${name}.disk`),
        consoleLog: labConsoleLog(dataDir, mac),
        qmpSocket: join(dir, `${name}.qmp`),
        bmc: {
          address: labBmcAddress(index),
          port: LAB_BMC_PORT,
          username: "admin",
          password: randomBmcPassword(),
          serialPort: LAB_BMC_SERIAL_PORT_BASE + index,
          dir: join(dir, `${name}.bmc`),
          pidFile: join(dir, `${name}.pid`),
        },
      };
      // Recorded before anything of it exists, so that lab down finds whatever did get made.
      state = { ...state, vms: [...state.vms, vm] };
      await writeLabState(state);
      await addTap(namespace, state.bridge, vm.tap);
      await addAddress(namespace, state.bridge, `${vm.bmc.address}/32`);
      // A sparse file: a blank disk that costs no space until written.
      await writeFile(vm.diskPath, "");
      await truncate(vm.diskPath, vm.diskBytes);
      await mkdir(dirname(vm.consoleLog), { recursive: true });
      let varsPath: string | undefined;
      if (vm.firmware === "uefi") {
        varsPath = join(dir, `${name}.ovmf-vars.fd`);
        await copyFile(OVMF_VARS, varsPath);
      }
      const files = await writeBmcFiles(vm, state.prefixLength, state.serverAddress, varsPath);
      vm = { ...vm, bmc: { ...vm.bmc, process: await startBmc(namespace, vm, files) } };
      state = { ...state, vms: state.vms.map((v) => (v.name === name ? vm : v)) };
      await writeLabState(state);
    }
    // Orchestra registers nothing: each VM is powered on through its BMC, as an operator
    // would, network-boots the discovery ramdisk and enlists itself with its BMC.
    for (const vm of state.vms) {
      await waitForBmc(labIpmiDriver(namespace), vm);
      await drivers.get("ipmi").setBootDevice(bmcTarget(vm), "pxe");
      await drivers.get("ipmi").powerOn(bmcTarget(vm));
    }
    return state;
  } catch (error) {
    await labDown(dataDir).catch(() => undefined);
    throw error;
  }
}
