/**
 * @module maas/model/machine-json
 * A machine in MAAS 2.0's JSON shape, with every field gomaasapi's machine, interface, link,
 * block device, zone and pool schemas require (it refuses a machine missing any of them).
 * Interfaces and disks get numeric ids derived from the MAC and the disk name, so they are
 * the same on every read, as MAAS's database ids are.
 */
import { createHash } from "node:crypto";
import type { Subnet } from "../../ec2/model/network-topology.ts";
import { bootMacOf, storageBytes, type Machine } from "../../inventory/machine.ts";
import type { MaasMachine } from "./allocation-rows.ts";
import { MAAS_API_PATH } from "./maas-services.ts";
import { DOMAIN, poolJson, subnetJson, vlanJson, zoneJson, type MaasNetwork } from "./network-json.ts";
import { MAAS_STATUS } from "./status-names.ts";

/** A stable positive 31-bit id for `text`. */
export function stableId(text: string): number {
  return (parseInt(createHash("sha256").update(text).digest("hex").slice(0, 8), 16) & 0x7fffffff) || 1;
}

/** The interface id of a MAC. */
export function interfaceId(mac: string): number {
  return stableId(`interface ${mac}`);
}

/** The block device id of a machine's disk. */
export function blockDeviceId(systemId: string, disk: string): number {
  return stableId(`disk ${systemId} ${disk}`);
}

function ipv4Number(ip: string): number | undefined {
  const parts = ip.split(".").map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) return undefined;
  return ((parts[0]! << 24) >>> 0) + (parts[1]! << 16) + (parts[2]! << 8) + parts[3]!;
}

/** The subnet an address is in, else the machine's zone's subnet. */
function subnetFor(network: MaasNetwork, zone: string, ip: string | null): Subnet | undefined {
  const value = ip === null ? undefined : ipv4Number(ip);
  if (value !== undefined) {
    for (const subnet of network.subnets) {
      const [base, prefix] = subnet.cidrBlock.split("/");
      const mask = Number(prefix) === 0 ? 0 : (0xffffffff << (32 - Number(prefix))) >>> 0;
      if (((value & mask) >>> 0) === ipv4Number(base!)) return subnet;
    }
  }
  return network.subnets.find((s) => s.zone === zone);
}

/** The machine's address: the node's own once known, else what discovery recorded. */
function addressOf(entry: MaasMachine): string | null {
  const ip = entry.allocation?.address ?? entry.machine.hardware.ip_address ?? null;
  return ip !== null && ipv4Number(ip) !== undefined ? ip : null;
}

function interfacesJson(entry: MaasMachine, network: MaasNetwork): Record<string, unknown>[] {
  const { machine } = entry;
  const bootMac = bootMacOf(machine);
  const ip = addressOf(entry);
  const subnet = subnetFor(network, machine.zone, ip);
  return machine.interfaces.map((nic) => {
    const id = interfaceId(nic.mac);
    const isBoot = nic.mac === bootMac;
    const links = isBoot && subnet ? [{ id, mode: "auto", subnet: subnetJson(subnet), ...(ip && entry.allocation ? { ip_address: ip } : {}) }] : [];
    return {
      id,
      name: nic.name,
      type: "physical",
      enabled: true,
      tags: [],
      vlan: vlanJson(),
      links,
      mac_address: nic.mac,
      effective_mtu: 1500,
      parents: [],
      children: [],
      params: "",
      system_id: machine.systemId,
      resource_uri: `${MAAS_API_PATH}/nodes/${machine.systemId}/interfaces/${id}/`,
    };
  });
}

function blockDevicesJson(machine: Machine): Record<string, unknown>[] {
  return machine.disks.map((disk) => {
    const id = blockDeviceId(machine.systemId, disk.name);
    return {
      id,
      name: disk.name,
      uuid: null,
      model: disk.model || null,
      serial: disk.serial || null,
      id_path: null,
      path: `/dev/disk/by-dname/${disk.name}`,
      used_for: "",
      tags: [],
      block_size: 512,
      used_size: 0,
      size: disk.sizeBytes,
      filesystem: null,
      partitions: [],
      type: "physical",
      system_id: machine.systemId,
      resource_uri: `${MAAS_API_PATH}/nodes/${machine.systemId}/blockdevices/${id}/`,
    };
  });
}

/** MAAS's `power_state`: what Orchestra last asked of the power, from the state and the client's own requests. */
function powerState(entry: MaasMachine): string {
  const { status } = entry.machine;
  if (status === "deploying" || status === "deployed") return entry.allocation?.poweredOff ? "off" : "on";
  if (status === "ready" || status === "allocated" || status === "retired") return "off";
  return "unknown";
}

/** One machine, as GET machines/ and every machine operation answer it. */
export function machineJson(entry: MaasMachine, network: MaasNetwork, zones: readonly string[]): Record<string, unknown> {
  const { machine, allocation } = entry;
  const interfaces = interfacesJson(entry, network);
  const bootMac = bootMacOf(machine);
  const ip = allocation ? addressOf(entry) : null;
  const status = MAAS_STATUS[machine.status];
  const blockDevices = blockDevicesJson(machine);
  const zoneIndex = Math.max(0, zones.indexOf(machine.zone));
  const hardware = machine.hardware;
  return {
    system_id: machine.systemId,
    hostname: machine.hostname,
    fqdn: `${machine.hostname}.${DOMAIN}`,
    domain: { id: 0, name: DOMAIN, resource_record_count: 0, ttl: null, authoritative: true },
    node_type: 0,
    node_type_name: "Machine",
    architecture: `${machine.architecture}/generic`,
    cpu_count: machine.cpus,
    cpu_speed: 0,
    memory: machine.memoryMib,
    storage: Math.round(storageBytes(machine.disks) / 1e6),
    hardware_info: {
      system_vendor: hardware.dmi_vendor ?? "Unknown",
      system_product: hardware.dmi_product ?? "Unknown",
      system_serial: hardware.dmi_serial ?? "Unknown",
      cpu_model: hardware.cpu_model ?? "Unknown",
    },
    status: status.code,
    status_name: status.name,
    status_message: machine.statusMessage,
    status_action: "",
    owner: allocation?.account ?? null,
    owner_data: allocation?.ownerData ?? {},
    osystem: allocation?.osystem ?? "",
    distro_series: allocation?.distroSeries ?? "",
    hwe_kernel: allocation?.hweKernel || null,
    min_hwe_kernel: "",
    netboot: machine.status !== "deployed",
    power_type: machine.power.type,
    power_state: powerState(entry),
    locked: false,
    tag_names: [...machine.tags],
    zone: zoneJson(machine.zone, zoneIndex),
    pool: poolJson(),
    ip_addresses: ip ? [ip] : [],
    boot_interface: interfaces.find((nic) => nic.mac_address === bootMac) ?? null,
    interface_set: interfaces,
    physicalblockdevice_set: blockDevices,
    blockdevice_set: blockDevices,
    boot_disk: blockDevices[0] ?? null,
    swap_size: null,
    resource_uri: `${MAAS_API_PATH}/machines/${machine.systemId}/`,
  };
}
