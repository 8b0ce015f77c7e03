/**
 * @module ec2/actions/networks
 * DescribeVpcs, DescribeSubnets, DescribeInternetGateways, DescribeRouteTables and
 * DescribeNetworkInterfaces: the provisioning network as one default VPC (network-topology).
 */
import { OrchestraError } from "../../errors.ts";
import { filterList, list, pagination, str } from "../query/param-shape.ts";
import { compileFilters, type FilterFields } from "../model/filters.ts";
import { loadInstances, type InstanceRecord } from "../model/instance-records.ts";
import { networkInterfaceId } from "../model/instance-xml.ts";
import { networkView, type NetworkView, type Subnet } from "../model/network-topology.ts";
import { paginate } from "../model/pagination.ts";
import { tagSet, tagsByResource } from "../model/tags.ts";
import type { Ec2Context } from "../model/ec2-context.ts";
import { defineAction } from "./define-action.ts";

function checkIds(asked: readonly string[], known: readonly string[], code: "EC2_VPC_NOT_FOUND" | "EC2_SUBNET_NOT_FOUND" | "EC2_RESOURCE_ID_INVALID", noun: string): void {
  for (const id of asked) if (!known.includes(id)) throw new OrchestraError(code, `The ${noun} ID '${id}' does not exist`);
}

async function tagsOf(context: Ec2Context, prefix: string) {
  return tagsByResource(context.services.db, context.account, prefix);
}

export const describeVpcs = defineAction("DescribeVpcs", { VpcId: list(str({ max: 64 }), { max: 100 }), Filter: filterList, ...pagination }, async (context, p) => {
  const network = await networkView(context.services.db, context.services.topology);
  checkIds(p.VpcId, [network.vpc.vpcId], "EC2_VPC_NOT_FOUND", "vpc");
  const tags = await tagsOf(context, "vpc");
  const ownerId = context.ownerId;
  const fields: FilterFields<NetworkView> = {
    "vpc-id": (n) => n.vpc.vpcId,
    "is-default": () => "true",
    // AWS also takes the camelCase spelling; Ansible's default-VPC lookup sends it.
    isDefault: () => "true",
    "cidr": (n) => n.vpc.cidrBlock,
    "cidr-block-association.cidr-block": (n) => n.vpc.cidrBlock,
    state: () => "available",
    "dhcp-options-id": (n) => n.dhcpOptionsId,
    "owner-id": () => ownerId,
  };
  const keep = compileFilters(p.Filter, fields, (n: NetworkView) => tags.get(n.vpc.vpcId) ?? new Map());
  const shown = keep(network) ? [network] : [];
  return {
    vpcSet: shown.map((n) => ({
      vpcId: n.vpc.vpcId,
      ownerId,
      state: "available",
      cidrBlock: n.vpc.cidrBlock,
      cidrBlockAssociationSet: [{ cidrBlock: n.vpc.cidrBlock, associationId: `${n.vpc.vpcId.replace("vpc-", "vpc-cidr-assoc-")}`, cidrBlockState: { state: "associated" } }],
      ipv6CidrBlockAssociationSet: [],
      dhcpOptionsId: n.dhcpOptionsId,
      instanceTenancy: "default",
      isDefault: true,
      tagSet: tagSet(tags.get(n.vpc.vpcId)),
    })),
  };
});

export const describeSubnets = defineAction("DescribeSubnets", { SubnetId: list(str({ max: 64 }), { max: 1000 }), Filter: filterList, ...pagination }, async (context, p) => {
  const network = await networkView(context.services.db, context.services.topology);
  checkIds(p.SubnetId, network.subnets.map((s) => s.subnetId), "EC2_SUBNET_NOT_FOUND", "subnet");
  const tags = await tagsOf(context, "subnet");
  const ownerId = context.ownerId;
  const { region } = context.services.topology;
  const fields: FilterFields<Subnet> = {
    "subnet-id": (s) => s.subnetId,
    "vpc-id": (s) => s.vpcId,
    "availability-zone": (s) => s.zone,
    availabilityZone: (s) => s.zone,
    "availability-zone-id": (s) => `${region}-az${s.zoneIndex + 1}`,
    "cidr-block": (s) => s.cidrBlock,
    cidr: (s) => s.cidrBlock,
    cidrBlock: (s) => s.cidrBlock,
    "available-ip-address-count": (s) => String(s.availableIpAddressCount),
    availableIpAddressCount: (s) => String(s.availableIpAddressCount),
    "default-for-az": () => "true",
    defaultForAz: () => "true",
    state: () => "available",
    "owner-id": () => ownerId,
  };
  const keep = compileFilters(p.Filter, fields, (s: Subnet) => tags.get(s.subnetId) ?? new Map());
  const chosen = network.subnets.filter((s) => (p.SubnetId.length === 0 || p.SubnetId.includes(s.subnetId)) && keep(s));
  const page = paginate([...chosen].sort((a, b) => (a.subnetId < b.subnetId ? -1 : 1)), (s) => s.subnetId, "DescribeSubnets", p.MaxResults, p.NextToken);
  return {
    subnetSet: page.items.map((s) => ({
      subnetId: s.subnetId,
      subnetArn: `arn:aws:ec2:${region}:${ownerId}:subnet/${s.subnetId}`,
      ownerId,
      state: "available",
      vpcId: s.vpcId,
      cidrBlock: s.cidrBlock,
      ipv6CidrBlockAssociationSet: [],
      availableIpAddressCount: s.availableIpAddressCount,
      availabilityZone: s.zone,
      availabilityZoneId: `${region}-az${s.zoneIndex + 1}`,
      defaultForAz: true,
      mapPublicIpOnLaunch: false,
      assignIpv6AddressOnCreation: false,
      tagSet: tagSet(tags.get(s.subnetId)),
    })),
    nextToken: page.nextToken,
  };
});

export const describeInternetGateways = defineAction(
  "DescribeInternetGateways",
  { InternetGatewayId: list(str({ max: 64 }), { max: 100 }), Filter: filterList, ...pagination },
  async (context, p) => {
    const network = await networkView(context.services.db, context.services.topology);
    checkIds(p.InternetGatewayId, [network.internetGatewayId], "EC2_RESOURCE_ID_INVALID", "internet gateway");
    const tags = await tagsOf(context, "igw");
    const ownerId = context.ownerId;
    const fields: FilterFields<NetworkView> = {
      "internet-gateway-id": (n) => n.internetGatewayId,
      "attachment.vpc-id": (n) => n.vpc.vpcId,
      "attachment.state": () => "available",
      "owner-id": () => ownerId,
    };
    const keep = compileFilters(p.Filter, fields, (n: NetworkView) => tags.get(n.internetGatewayId) ?? new Map());
    return {
      internetGatewaySet: (keep(network) ? [network] : []).map((n) => ({
        internetGatewayId: n.internetGatewayId,
        ownerId,
        attachmentSet: [{ vpcId: n.vpc.vpcId, state: "available" }],
        tagSet: tagSet(tags.get(n.internetGatewayId)),
      })),
    };
  },
);

export const describeRouteTables = defineAction(
  "DescribeRouteTables",
  { RouteTableId: list(str({ max: 64 }), { max: 100 }), Filter: filterList, ...pagination },
  async (context, p) => {
    const network = await networkView(context.services.db, context.services.topology);
    checkIds(p.RouteTableId, [network.routeTableId], "EC2_RESOURCE_ID_INVALID", "route table");
    const tags = await tagsOf(context, "rtb");
    const ownerId = context.ownerId;
    const fields: FilterFields<NetworkView> = {
      "route-table-id": (n) => n.routeTableId,
      "vpc-id": (n) => n.vpc.vpcId,
      "association.main": () => "true",
      "association.route-table-id": (n) => n.routeTableId,
      "route.gateway-id": (n) => ["local", n.internetGatewayId],
      "route.destination-cidr-block": (n) => [n.vpc.cidrBlock, "0.0.0.0/0"],
      "owner-id": () => ownerId,
    };
    const keep = compileFilters(p.Filter, fields, (n: NetworkView) => tags.get(n.routeTableId) ?? new Map());
    return {
      routeTableSet: (keep(network) ? [network] : []).map((n) => ({
        routeTableId: n.routeTableId,
        vpcId: n.vpc.vpcId,
        ownerId,
        routeSet: [
          { destinationCidrBlock: n.vpc.cidrBlock, gatewayId: "local", state: "active", origin: "CreateRouteTable" },
          { destinationCidrBlock: "0.0.0.0/0", gatewayId: n.internetGatewayId, state: "active", origin: "CreateRoute" },
        ],
        associationSet: [{ routeTableAssociationId: n.routeTableId.replace("rtb-", "rtbassoc-"), routeTableId: n.routeTableId, main: true, associationState: { state: "associated" } }],
        propagatingVgwSet: [],
        tagSet: tagSet(tags.get(n.routeTableId)),
      })),
    };
  },
);

export const describeNetworkInterfaces = defineAction(
  "DescribeNetworkInterfaces",
  { NetworkInterfaceId: list(str({ max: 64 }), { max: 1000 }), Filter: filterList, ...pagination },
  async (context, p) => {
    const { services, account } = context;
    const live = (await loadInstances(services.db, { account, now: services.now() })).filter((i) => i.state !== "terminated" && i.mac);
    const ids = live.map(networkInterfaceId);
    checkIds(p.NetworkInterfaceId, ids, "EC2_RESOURCE_ID_INVALID", "network interface");
    const ownerId = context.ownerId;
    const fields: FilterFields<InstanceRecord> = {
      "network-interface-id": (i) => networkInterfaceId(i),
      "attachment.instance-id": (i) => i.instanceId,
      "vpc-id": (i) => i.vpcId,
      "subnet-id": (i) => i.subnetId,
      "availability-zone": (i) => i.zone,
      "mac-address": (i) => i.mac ?? undefined,
      "private-ip-address": (i) => i.privateIp ?? undefined,
      "group-id": (i) => i.groups.map((g) => g.groupId),
      status: () => "in-use",
      "owner-id": () => ownerId,
    };
    const keep = compileFilters(p.Filter, fields);
    const chosen = live.filter((i) => (p.NetworkInterfaceId.length === 0 || p.NetworkInterfaceId.includes(networkInterfaceId(i))) && keep(i));
    const page = paginate(chosen.sort((a, b) => (networkInterfaceId(a) < networkInterfaceId(b) ? -1 : 1)), networkInterfaceId, "DescribeNetworkInterfaces", p.MaxResults, p.NextToken);
    return {
      networkInterfaceSet: page.items.map((i) => ({
        networkInterfaceId: networkInterfaceId(i),
        subnetId: i.subnetId,
        vpcId: i.vpcId,
        availabilityZone: i.zone,
        description: `boot interface of ${i.hostname ?? i.instanceId}`,
        ownerId,
        requesterManaged: false,
        status: "in-use",
        macAddress: i.mac ?? undefined,
        privateIpAddress: i.privateIp ?? undefined,
        privateDnsName: i.hostname ?? undefined,
        sourceDestCheck: true,
        interfaceType: "interface",
        groupSet: i.groups.map((g) => ({ groupId: g.groupId, groupName: g.groupName })),
        attachment: { attachmentId: networkInterfaceId(i).replace("eni-", "eni-attach-"), instanceId: i.instanceId, instanceOwnerId: ownerId, deviceIndex: 0, status: "attached", attachTime: new Date(i.launchedAt), deleteOnTermination: true },
        privateIpAddressesSet: i.privateIp ? [{ privateIpAddress: i.privateIp, primary: true, privateDnsName: i.hostname ?? undefined }] : [],
        ipv6AddressesSet: [],
        tagSet: [],
      })),
      nextToken: page.nextToken,
    };
  },
);

/** The VPC attributes of the 2016-11-15 API and their values on the provisioning network. */
const VPC_ATTRIBUTES = {
  // Nodes resolve names through the provisioning network's DNS (dnsmasq) and are shown with their host names.
  enableDnsSupport: { enableDnsSupport: { value: true } },
  enableDnsHostnames: { enableDnsHostnames: { value: true } },
  enableNetworkAddressUsageMetrics: { enableNetworkAddressUsageMetrics: { value: false } },
} as const;

export const describeVpcAttribute = defineAction(
  "DescribeVpcAttribute",
  { VpcId: str({ required: true, max: 64 }), Attribute: str({ required: true, max: 64, oneOf: Object.keys(VPC_ATTRIBUTES) }) },
  async (context, p) => {
    const network = await networkView(context.services.db, context.services.topology);
    checkIds([p.VpcId], [network.vpc.vpcId], "EC2_VPC_NOT_FOUND", "vpc");
    return { vpcId: p.VpcId, ...VPC_ATTRIBUTES[p.Attribute as keyof typeof VPC_ATTRIBUTES] };
  },
);

export const describeVpcClassicLink = defineAction("DescribeVpcClassicLink", { VpcId: list(str({ max: 64 }), { max: 100 }), Filter: filterList }, async (context, p) => {
  const network = await networkView(context.services.db, context.services.topology);
  checkIds(p.VpcId, [network.vpc.vpcId], "EC2_VPC_NOT_FOUND", "vpc");
  // EC2-Classic is retired on AWS too: there is nothing to link, and saying so is the honest answer.
  throw new OrchestraError("EC2_UNSUPPORTED_OPERATION", "ClassicLink is not supported: Orchestra has no EC2-Classic instances.");
});
