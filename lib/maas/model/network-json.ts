/**
 * @module maas/model/network-json
 * Orchestra's provisioning network in MAAS's shapes: one fabric with one untagged VLAN, one
 * space, and the same per-zone subnets the EC2 API shows (so a node has one address under
 * both APIs). Ids are fixed or follow the zone order, so they are stable between calls.
 */
import { networkView, type Subnet } from "../../ec2/model/network-topology.ts";
import type { SqlExecutor } from "../../store/sql-database.ts";
import type { Ec2Topology } from "../../ec2/model/ec2-services.ts";
import { MAAS_API_PATH } from "./maas-services.ts";

/** The one fabric, VLAN and space. */
export const FABRIC = { id: 0, name: "fabric-0" } as const;
export const VLAN_ID = 5001;
export const SPACE = { id: 0, name: "space-0" } as const;

/** The untagged VLAN. */
export function vlanJson(): Record<string, unknown> {
  return {
    id: VLAN_ID,
    name: "untagged",
    vid: 0,
    mtu: 1500,
    fabric: FABRIC.name,
    fabric_id: FABRIC.id,
    space: SPACE.name,
    dhcp_on: true,
    external_dhcp: null,
    relay_vlan: null,
    primary_rack: null,
    secondary_rack: null,
    resource_uri: `${MAAS_API_PATH}/vlans/${VLAN_ID}/`,
  };
}

/** A subnet (one per zone). */
export function subnetJson(subnet: Subnet): Record<string, unknown> {
  const id = subnet.zoneIndex + 1;
  return {
    id,
    name: subnet.cidrBlock,
    cidr: subnet.cidrBlock,
    vlan: vlanJson(),
    space: SPACE.name,
    gateway_ip: null,
    dns_servers: [],
    rdns_mode: 2,
    allow_proxy: true,
    active_discovery: false,
    managed: true,
    resource_uri: `${MAAS_API_PATH}/subnets/${id}/`,
  };
}

/** The network as MAAS lists it. */
export interface MaasNetwork {
  readonly subnets: readonly Subnet[];
  readonly zones: readonly string[];
}

/** The current network: subnets follow the machines' zones. */
export async function maasNetwork(db: SqlExecutor, topology: Ec2Topology): Promise<MaasNetwork> {
  const view = await networkView(db, topology);
  return { subnets: view.subnets, zones: view.subnets.map((s) => s.zone) };
}

export function fabricJson(): Record<string, unknown> {
  return { id: FABRIC.id, name: FABRIC.name, class_type: null, vlans: [vlanJson()], resource_uri: `${MAAS_API_PATH}/fabrics/${FABRIC.id}/` };
}

export function spaceJson(network: MaasNetwork): Record<string, unknown> {
  return { id: SPACE.id, name: SPACE.name, subnets: network.subnets.map(subnetJson), vlans: [vlanJson()], resource_uri: `${MAAS_API_PATH}/spaces/${SPACE.id}/` };
}

export function zoneJson(name: string, index: number): Record<string, unknown> {
  return { id: index + 1, name, description: "", resource_uri: `${MAAS_API_PATH}/zones/${encodeURIComponent(name)}/` };
}

/** The one resource pool: every machine is in it. */
export const DEFAULT_POOL = "default";
export function poolJson(): Record<string, unknown> {
  return { id: 0, name: DEFAULT_POOL, description: "Default pool", resource_uri: `${MAAS_API_PATH}/resourcepool/0/` };
}

/** The one DNS domain machines' FQDNs are in. */
export const DOMAIN = "maas";
export function domainJson(): Record<string, unknown> {
  return { id: 0, name: DOMAIN, authoritative: true, ttl: null, is_default: true, resource_record_count: 0, resource_uri: `${MAAS_API_PATH}/domains/0/` };
}
