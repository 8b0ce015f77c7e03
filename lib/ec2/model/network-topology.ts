/**
 * @module ec2/model/network-topology
 * Orchestra's provisioning network seen through EC2's eyes: one default VPC, one subnet per
 * zone carved from it, one internet gateway and one main route table. Their ids derive from
 * names so they are stable; machines' zones decide which subnets exist.
 */
import { OrchestraError } from "../../errors.ts";
import { selectZones, type Zone } from "../../inventory/zone-rows.ts";
import type { SqlExecutor } from "../../store/sql-database.ts";
import { derivedResourceId } from "./resource-ids.ts";
import type { Ec2Topology } from "./ec2-services.ts";

/** The default VPC. */
export interface Vpc {
  readonly vpcId: string;
  readonly cidrBlock: string;
}

/** A subnet: one per zone. */
export interface Subnet {
  readonly subnetId: string;
  readonly vpcId: string;
  readonly zone: string;
  readonly zoneIndex: number;
  readonly cidrBlock: string;
  readonly availableIpAddressCount: number;
}

/** The whole network view. */
export interface NetworkView {
  readonly region: string;
  readonly vpc: Vpc;
  readonly subnets: readonly Subnet[];
  readonly internetGatewayId: string;
  readonly routeTableId: string;
  readonly dhcpOptionsId: string;
}

/** The zones, by name: every zone a machine was ever added to, until an operator removes it. */
export async function listZones(db: SqlExecutor): Promise<string[]> {
  return (await selectZones(db)).map((zone) => zone.name);
}

/** A zone's EC2 zone id, from the index it was given once (never from its position in a list). */
export function zoneIdOf(region: string, zone: Pick<Zone, "index">): string {
  return `${region}-az${zone.index + 1}`;
}

/** Every zone's EC2 zone id, by zone name. */
export async function zoneIds(db: SqlExecutor, region: string): Promise<Map<string, string>> {
  return new Map((await selectZones(db)).map((zone) => [zone.name, zoneIdOf(region, zone)]));
}

/** Build the network view for the current zones. */
export async function networkView(db: SqlExecutor, topology: Ec2Topology): Promise<NetworkView> {
  const zones = await selectZones(db);
  const [base, prefix] = parseCidr(topology.vpcCidr);
  const vpcId = derivedResourceId("vpc", `${topology.region}/${topology.vpcCidr}`);
  // Each zone's subnet is the /24 at its stored index: a new zone never moves another's.
  const subnetPrefix = Math.max(prefix, 24);
  const size = 2 ** (32 - subnetPrefix);
  const subnets = zones.map((zone) => ({
    subnetId: derivedResourceId("subnet", `${topology.region}/${zone.name}`),
    vpcId,
    zone: zone.name,
    zoneIndex: zone.index,
    cidrBlock: `${formatIp(base + zone.index * size)}/${subnetPrefix}`,
    availableIpAddressCount: size - 5,
  }));
  return {
    region: topology.region,
    vpc: { vpcId, cidrBlock: topology.vpcCidr },
    subnets,
    internetGatewayId: derivedResourceId("igw", topology.region),
    routeTableId: derivedResourceId("rtb", topology.region),
    dhcpOptionsId: derivedResourceId("dopt", topology.region),
  };
}

/** Check a VPC CIDR for `--api-vpc-cidr`. */
export function parseCidr(cidr: string): [number, number] {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
  const octets = match ? match.slice(1, 5).map(Number) : [];
  const prefix = match ? Number(match[5]) : NaN;
  if (!match || octets.some((o) => o > 255) || prefix < 8 || prefix > 24) {
    throw new OrchestraError("INVALID_ARGUMENT", `invalid VPC CIDR ${JSON.stringify(cidr)}: expected an IPv4 network from /8 to /24, e.g. 10.0.0.0/16`);
  }
  const value = ((octets[0]! << 24) >>> 0) + (octets[1]! << 16) + (octets[2]! << 8) + octets[3]!;
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return [(value & mask) >>> 0, prefix];
}

function formatIp(value: number): string {
  return [24, 16, 8, 0].map((shift) => (value >>> shift) & 255).join(".");
}
