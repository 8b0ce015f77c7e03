/**
 * @module testing/units/unit-network
 * The network units live on: a namespace of its own holding two bridges, the unit network
 * (198.51.100.0/24, the bridge itself at .1 running unit-network-services) and the
 * provisioning network (192.0.2.0/24, no address of the harness's own: the unit's dnsmasq
 * owns it). Each unit and each test client gets a namespace of its own with veths to the
 * bridges. Nothing is routed anywhere else.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa, type ResultPromise } from "execa";
import { BRIDGE_ADDRESS } from "./unit-network-services.ts";

const UNIT_BRIDGE = "brunit";
const PROVISIONING_BRIDGE = "brprov";

/** One endpoint (a unit or a client) plugged into the bridges. */
export interface NetworkMember {
  /** Its network namespace (in /run/netns). */
  namespace: string;
  /** Its address on the unit network, when it has one. */
  unitAddress?: string;
  /** Its address on the provisioning network, when it has one (a DHCP client has none yet). */
  provisioningAddress?: string;
}

/** The running network: namespaces, the services process, the agent socket directory. */
export interface UnitNetwork {
  namespace: string;
  socketDir: string;
  members: NetworkMember[];
  /** pid of unit-network-services. */
  servicesPid: number;
  services: ResultPromise;
}

async function ip(args: readonly string[]): Promise<void> {
  await execa("ip", args);
}

async function nsExists(name: string): Promise<boolean> {
  const { stdout } = await execa("ip", ["netns", "list"]);
  return stdout.split("\n").some((line) => line.split(" ")[0] === name);
}

/** unit-network-services beside this module: .ts from source, .js once built into dist/. */
function servicesScript(): string {
  return join(import.meta.dirname, `unit-network-services${import.meta.filename.endsWith(".ts") ? ".ts" : ".js"}`);
}

let networksMade = 0;

/** Creates the bridges' namespace and starts the repository and agent services on it. */
export async function createUnitNetwork(repositoryDir: string): Promise<UnitNetwork> {
  const namespace = `orch-units-${process.pid}-${++networksMade}`;
  await ip(["netns", "add", namespace]);
  let services: ResultPromise | undefined;
  try {
    await ip(["-n", namespace, "link", "set", "lo", "up"]);
    for (const bridge of [UNIT_BRIDGE, PROVISIONING_BRIDGE]) {
      await ip(["-n", namespace, "link", "add", bridge, "type", "bridge"]);
      // No learning delay: a client's first DHCP packet must cross at once.
      await ip(["-n", namespace, "link", "set", bridge, "type", "bridge", "forward_delay", "0", "stp_state", "0"]);
      await ip(["-n", namespace, "link", "set", bridge, "up"]);
    }
    await ip(["-n", namespace, "addr", "add", `${BRIDGE_ADDRESS}/24`, "dev", UNIT_BRIDGE]);
    const socketDir = mkdtempSync(join(tmpdir(), "orchestra-unit-agents-"));
    services = execa("ip", ["netns", "exec", namespace, process.execPath, servicesScript(), repositoryDir, socketDir], { buffer: false, stdin: "ignore", stderr: "inherit" });
    const servicesPid = services.pid!;
    const started = services;
    await new Promise<void>((resolve, reject) => {
      started.stdout!.once("data", () => resolve());
      started.then((r) => reject(new Error(`unit-network-services exited ${r.exitCode} before it was ready`)), reject);
    });
    services.catch(() => undefined);
    return { namespace, socketDir, members: [], servicesPid, services };
  } catch (error) {
    if (services !== undefined) {
      services.kill("SIGTERM");
      await services.catch(() => undefined);
    }
    await ip(["netns", "del", namespace]).catch(() => undefined);
    throw error;
  }
}

/**
 * Plugs a new namespace `name` into the bridges: eth0 on the unit network at `unitAddress`
 * (if given), eth1 on the provisioning network at `provisioningAddress` (or unaddressed with
 * `provisioning: true`, for a DHCP client).
 */
export async function addMember(net: UnitNetwork, name: string, links: { unitAddress?: string; provisioningAddress?: string; provisioning?: boolean }): Promise<NetworkMember> {
  const namespace = `${net.namespace}-${name}`;
  await ip(["netns", "add", namespace]);
  const member: NetworkMember = { namespace, unitAddress: links.unitAddress, provisioningAddress: links.provisioningAddress };
  net.members.push(member);
  await ip(["-n", namespace, "link", "set", "lo", "up"]);
  const plug = async (device: string, bridge: string, cidr: string | undefined) => {
    // The bridge side's name must be unique in the bridges' namespace and at most 15 characters.
    const outer = `v${net.members.length}${device}`;
    await ip(["-n", net.namespace, "link", "add", outer, "type", "veth", "peer", "name", device, "netns", namespace]);
    await ip(["-n", net.namespace, "link", "set", outer, "master", bridge]);
    await ip(["-n", net.namespace, "link", "set", outer, "up"]);
    if (cidr !== undefined) await ip(["-n", namespace, "addr", "add", cidr, "dev", device]);
    await ip(["-n", namespace, "link", "set", device, "up"]);
  };
  if (links.unitAddress !== undefined) await plug("eth0", UNIT_BRIDGE, `${links.unitAddress}/24`);
  if (links.provisioningAddress !== undefined || links.provisioning === true) {
    await plug("eth1", PROVISIONING_BRIDGE, links.provisioningAddress === undefined ? undefined : `${links.provisioningAddress}/24`);
  }
  return member;
}

/** Runs `argv` inside a member's namespace (a test client's tools: busybox, curl, the AWS CLI). */
export function inMember(member: NetworkMember, argv: readonly string[], options: { timeout?: number; env?: Record<string, string> } = {}) {
  return execa("ip", ["netns", "exec", member.namespace, ...argv], { reject: false, timeout: options.timeout ?? 120_000, env: options.env, all: true });
}

/** Stops the services process by its pid and deletes every namespace and the socket dir. */
export async function destroyUnitNetwork(net: UnitNetwork): Promise<void> {
  try {
    process.kill(net.servicesPid, "SIGTERM");
  } catch {
    // already gone
  }
  await net.services.catch(() => undefined);
  for (const member of net.members) if (await nsExists(member.namespace)) await ip(["netns", "del", member.namespace]);
  if (await nsExists(net.namespace)) await ip(["netns", "del", net.namespace]);
  rmSync(net.socketDir, { recursive: true, force: true });
}
