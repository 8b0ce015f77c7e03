/**
 * The fan-out benchmark's simulated site network: one switch namespace holding a bridge, one
 * namespace per node and one for the server, each joined to the bridge by a veth pair whose
 * two ends are shaped with tbf (the end in the node's namespace limits what it sends, the
 * end on the bridge what it receives), so every machine has a full-duplex link of a fixed
 * rate and the fabric between them is not the limit, as on a non-blocking switch.
 *
 * Everything lives in namespaces named `<prefix>-...` (the branch's `fob`), on TEST-NET
 * addresses that exist only inside them; nothing touches the host's own network.
 */
import { execa } from "execa";

/**
 * TEST-NET-1 and -2, then TEST-NET-3 (RFC 5737). One L2 segment carries all three: each
 * namespace has its own address in one of them and on-link routes to the other two, so no
 * router is needed. 3 × 254 addresses: the server and up to 761 nodes.
 */
const TEST_NETS = ["192.0.2", "198.51.100", "203.0.113"] as const;
const HOSTS_PER_NET = 254;

/** The largest number of nodes the address plan holds (one address each, beside the server). */
export const MAX_NODES = TEST_NETS.length * HOSTS_PER_NET - 1;

/** One machine on the simulated network. */
export interface SimHost {
  /** Its network namespace. */
  namespace: string;
  /** Its IPv4 address (on its namespace's eth0). */
  address: string;
  /** Its veth end on the bridge, in the switch namespace. */
  switchPort: string;
  /** Its eth0's MAC (locally administered), fixed so every neighbour entry can be written in advance. */
  mac: string;
}

/** The simulated network: the switch, the server and the nodes. */
export interface SimNetwork {
  switchNamespace: string;
  server: SimHost;
  nodes: SimHost[];
  /** Link rate of every node and of the server, bits per second. */
  rateBitsPerSecond: number;
}

/** The address of host `index` (0 = the server, 1.. = nodes) in the plan. */
export function hostAddress(index: number): string {
  if (!Number.isInteger(index) || index < 0 || index > MAX_NODES) throw new RangeError(`host index ${index} is outside the address plan (0..${MAX_NODES})`);
  return `${TEST_NETS[Math.floor(index / HOSTS_PER_NET)]}.${(index % HOSTS_PER_NET) + 1}`;
}

/** The MAC of host `index`: 02:... is locally administered, never a real card's. */
export function hostMac(index: number): string {
  const hex = index.toString(16).padStart(4, "0");
  return `02:0f:0b:00:${hex.slice(0, 2)}:${hex.slice(2, 4)}`;
}

/** The plan for `nodes` nodes: names and addresses only; nothing is created. */
export function planNetwork(prefix: string, nodes: number, rateBitsPerSecond: number): SimNetwork {
  if (nodes > MAX_NODES) throw new RangeError(`${nodes} nodes do not fit the address plan (at most ${MAX_NODES})`);
  const host = (index: number, name: string): SimHost => ({ namespace: `${prefix}-${name}`, address: hostAddress(index), switchPort: `p${index}`, mac: hostMac(index) });
  return {
    switchNamespace: `${prefix}-sw`,
    server: host(0, "srv"),
    nodes: Array.from({ length: nodes }, (_, i) => host(i + 1, `n${i + 1}`)),
    rateBitsPerSecond,
  };
}

/**
 * A link of `rate` bits/s leaving `device`: tbf with a bucket of about 2 ms of traffic (at
 * least 64 KiB, so a GSO super-packet passes whole) and a queue of 100 ms. (This kernel has
 * no fq_codel, sfq or prio: the queue is tbf's own FIFO.)
 */
function linkShaping(device: string, rate: number): string[] {
  const burst = Math.max(64 * 1024, Math.round((rate / 8) * 0.002));
  return [`qdisc add dev ${device} root handle 1: tbf rate ${rate}bit burst ${burst} latency 100ms`];
}

/** Runs `tool -batch -` (ip or tc) on the lines given, inside `namespace` or in the host's own: one process for many commands. */
async function batch(tool: "ip" | "tc", namespace: string | undefined, lines: readonly string[], force = false): Promise<void> {
  if (lines.length === 0) return;
  const argv = [...(namespace ? ["-n", namespace] : []), ...(force ? ["-force"] : []), "-batch", "-"];
  const result = await execa(tool, argv, { input: lines.join("\n") + "\n", reject: false, all: true, timeout: 300_000 });
  if (result.exitCode !== 0 && !force) throw new Error(`${tool} ${argv.join(" ")} failed: ${String(result.all).trim().slice(0, 2000)}`);
}

/** Runs `work` on every item, `limit` at a time. */
async function eachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await work(items[next++]!);
  }));
}

/** Creates the namespaces, the bridge, the shaped veth pairs and the addresses. */
export async function createNetwork(net: SimNetwork): Promise<void> {
  const hosts = [net.server, ...net.nodes];
  const sw = net.switchNamespace;
  await batch("ip", undefined, [`netns add ${sw}`, ...hosts.map((h) => `netns add ${h.namespace}`)]);
  await batch("ip", sw, [
    "link set lo up",
    "link add br0 type bridge forward_delay 0 stp_state 0",
    "link set br0 up",
    ...hosts.flatMap((h) => [`link add ${h.switchPort} type veth peer name eth0 address ${h.mac} netns ${h.namespace}`, `link set ${h.switchPort} master br0`, `link set ${h.switchPort} up`]),
  ]);
  const rate = net.rateBitsPerSecond;
  await batch("tc", sw, hosts.flatMap((h) => linkShaping(h.switchPort, rate)));
  await eachLimited(hosts, 8, async (h) => {
    await batch("ip", h.namespace, [
      "link set lo up",
      `addr add ${h.address}/24 dev eth0`,
      "link set eth0 up",
      ...TEST_NETS.filter((prefix) => !h.address.startsWith(prefix + ".")).map((prefix) => `route add ${prefix}.0/24 dev eth0`),
      // Every neighbour written in advance, permanent: the kernel's neighbour table is shared
      // by all namespaces and its learned entries are capped machine-wide (gc_thresh3, 1,024
      // by default), which N nodes that each talk to every other overrun at N of about 35:
      // ARP then fails and connections hang in SYN-SENT. Permanent entries are not counted.
      ...hosts.filter((other) => other !== h).map((other) => `neigh add ${other.address} lladdr ${other.mac} dev eth0 nud permanent`),
    ]);
    await batch("tc", h.namespace, linkShaping("eth0", rate));
  });
}

/** Deletes every namespace of the plan that exists (their veths, bridge and qdiscs go with them). */
export async function deleteNetwork(net: SimNetwork): Promise<void> {
  const existing = new Set((await execa("ip", ["netns", "list"], { reject: false })).stdout.split("\n").map((line) => line.split(" ")[0]));
  const names = [net.switchNamespace, net.server.namespace, ...net.nodes.map((n) => n.namespace)].filter((n) => existing.has(n));
  await batch("ip", undefined, names.map((n) => `netns del ${n}`), true);
}

/** Bytes and packets sent so far by a host's eth0 (every byte on the wire: headers, retransmissions, ARP). */
export async function txBytes(host: SimHost): Promise<number> {
  const result = await execa("ip", ["-n", host.namespace, "-s", "-j", "link", "show", "eth0"], { timeout: 10_000 });
  const [link] = JSON.parse(result.stdout) as Array<{ stats64: { tx: { bytes: number } } }>;
  return link!.stats64.tx.bytes;
}

/** The argv that runs `argv` inside a host's namespace. */
export function inNamespace(host: SimHost, argv: readonly string[]): string[] {
  return ["ip", "netns", "exec", host.namespace, ...argv];
}
