/**
 * @module lab/network-namespace
 * The lab's network: a namespace with a bridge on a TEST-NET address and one tap per VM.
 * Nothing is routed out of it; the host reaches it only through the loopback relay.
 */
import { execa } from "execa";
import { OrchestraError } from "../errors.ts";

async function ip(args: readonly string[]): Promise<string> {
  const result = await execa("ip", args, { reject: false, all: true });
  if (result.exitCode !== 0) throw new OrchestraError("LAB_FAILED", `ip ${args.join(" ")} failed: ${String(result.all).trim()}`, { args });
  return result.stdout;
}

/** Run `ip` inside a namespace. */
function ipIn(namespace: string, args: readonly string[]): Promise<string> {
  return ip(["-n", namespace, ...args]);
}

/** Whether a namespace exists. */
export async function namespaceExists(namespace: string): Promise<boolean> {
  const out = await ip(["netns", "list"]);
  return out.split("\n").some((line) => line.split(" ")[0] === namespace);
}

/** Create the namespace with loopback up and a bridge holding `address/prefix`. */
export async function createLabNetwork(namespace: string, bridge: string, address: string, prefixLength: number): Promise<void> {
  await ip(["netns", "add", namespace]);
  await ipIn(namespace, ["link", "set", "lo", "up"]);
  await ipIn(namespace, ["link", "add", bridge, "type", "bridge"]);
  // No forwarding delay: a VM's first DHCP packet must not fall into the bridge's learning phase.
  await ipIn(namespace, ["link", "set", bridge, "type", "bridge", "forward_delay", "0", "stp_state", "0"]);
  await ipIn(namespace, ["addr", "add", `${address}/${prefixLength}`, "dev", bridge]);
  await ipIn(namespace, ["link", "set", bridge, "up"]);
}

/** Add a tap device for a VM to the bridge. */
export async function addTap(namespace: string, bridge: string, tap: string): Promise<void> {
  await ipIn(namespace, ["tuntap", "add", tap, "mode", "tap"]);
  await ipIn(namespace, ["link", "set", tap, "master", bridge]);
  await ipIn(namespace, ["link", "set", tap, "up"]);
}

/** Add an address (`a.b.c.d/prefix`) to an interface inside the namespace. */
export async function addAddress(namespace: string, device: string, cidr: string): Promise<void> {
  await ipIn(namespace, ["addr", "add", cidr, "dev", device]);
}

/** The pids of every process still inside the namespace. */
export async function namespacePids(namespace: string): Promise<number[]> {
  const out = await ip(["netns", "pids", namespace]).catch(() => "");
  return out.split("\n").filter(Boolean).map(Number).filter(Number.isSafeInteger);
}

/** Delete the namespace (its bridge and taps go with it). */
export async function deleteNamespace(namespace: string): Promise<void> {
  if (await namespaceExists(namespace)) await ip(["netns", "del", namespace]);
}

/**
 * A second namespace standing for the site's existing network: one veth end on the lab's
 * bridge, the other inside `siteNamespace` with `address/prefix`, where the site's DHCP
 * server runs (proxy-DHCP mode).
 */
export async function createSiteNetwork(namespace: string, bridge: string, siteNamespace: string, address: string, prefixLength: number): Promise<string> {
  await ip(["netns", "add", siteNamespace]);
  await ipIn(siteNamespace, ["link", "set", "lo", "up"]);
  await ipIn(namespace, ["link", "add", "vsite", "type", "veth", "peer", "name", "eth0", "netns", siteNamespace]);
  await ipIn(namespace, ["link", "set", "vsite", "master", bridge]);
  await ipIn(namespace, ["link", "set", "vsite", "up"]);
  await ipIn(siteNamespace, ["addr", "add", `${address}/${prefixLength}`, "dev", "eth0"]);
  await ipIn(siteNamespace, ["link", "set", "eth0", "up"]);
  return "eth0";
}
