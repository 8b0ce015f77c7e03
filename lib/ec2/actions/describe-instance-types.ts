/**
 * @module ec2/actions/describe-instance-types
 * DescribeInstanceTypes, DescribeInstanceTypeOfferings and DescribeSpotPriceHistory. Types
 * are Orchestra's hardware classes; a type is offered in a zone when some machine there
 * (not broken or retired) fits it, so Juju only picks types that can be satisfied.
 */
import { zoneIds } from "../model/network-topology.ts";
import { OrchestraError } from "../../errors.ts";
import { machineFits, resolveConstraints } from "../../inventory/constraints.ts";
import type { InstanceType } from "../../inventory/instance-type.ts";
import type { Machine } from "../../inventory/machine.ts";
import { filterList, list, pagination, str } from "../query/param-shape.ts";
import { applyFilters, compileFilters, type FilterFields } from "../model/filters.ts";
import { ec2Architecture } from "../model/image-catalogue.ts";
import { paginate } from "../model/pagination.ts";
import type { Ec2Services } from "../model/ec2-services.ts";
import { defineAction } from "./define-action.ts";

interface TypeFacts {
  readonly type: InstanceType;
  /** Machines that fit it, not broken or retired. */
  readonly machines: readonly Machine[];
}

async function typeFacts(services: Ec2Services): Promise<TypeFacts[]> {
  const types = await services.inventory.listInstanceTypes();
  const machines = (await services.inventory.listMachines()).filter((m) => m.status !== "broken" && m.status !== "retired");
  return types.map((type) => {
    const wanted = resolveConstraints({}, type);
    return { type, machines: machines.filter((m) => machineFits(m, wanted)) };
  });
}

function architectures(facts: TypeFacts): string[] {
  const found = [...new Set(facts.machines.map((m) => ec2Architecture(m.architecture)))].sort();
  return found;
}

const TYPE_FILTERS: FilterFields<TypeFacts> = {
  "instance-type": (f) => f.type.name,
  "current-generation": () => "true",
  "bare-metal": () => "true",
  "vcpu-info.default-vcpus": (f) => String(f.type.cpus),
  "memory-info.size-in-mib": (f) => String(f.type.memoryMib),
  "processor-info.supported-architecture": (f) => architectures(f),
  "supported-virtualization-type": () => "hvm",
  "supported-root-device-type": () => "ebs",
};

export const describeInstanceTypes = defineAction(
  "DescribeInstanceTypes",
  { InstanceType: list(str({ max: 64 }), { max: 100 }), Filter: filterList, ...pagination },
  async ({ services }, p) => {
    const facts = await typeFacts(services);
    for (const name of p.InstanceType) {
      if (!facts.some((f) => f.type.name === name)) throw new OrchestraError("INSTANCE_TYPE_NOT_FOUND", `The following supplied instance types do not exist: [${name}]`);
    }
    const named = p.InstanceType.length ? facts.filter((f) => p.InstanceType.includes(f.type.name)) : facts;
    const sorted = applyFilters(named, p.Filter, TYPE_FILTERS).sort((a, b) => (a.type.name < b.type.name ? -1 : 1));
    const page = paginate(sorted, (f) => f.type.name, "DescribeInstanceTypes", p.MaxResults, p.NextToken);
    return {
      instanceTypeSet: page.items.map((f) => ({
        instanceType: f.type.name,
        currentGeneration: true,
        freeTierEligible: false,
        supportedUsageClasses: ["on-demand"],
        supportedRootDeviceTypes: ["ebs"],
        supportedVirtualizationTypes: ["hvm"],
        bareMetal: true,
        processorInfo: { supportedArchitectures: architectures(f) },
        vCpuInfo: { defaultVCpus: f.type.cpus, defaultCores: f.type.cpus, defaultThreadsPerCore: 1 },
        memoryInfo: { sizeInMiB: f.type.memoryMib },
        // A type's disk minimum is the local disk a machine of it has at least (bare metal has no EBS).
        instanceStorageSupported: f.type.diskGib > 0,
        instanceStorageInfo: f.type.diskGib > 0 ? { totalSizeInGB: f.type.diskGib, disks: [{ sizeInGB: f.type.diskGib, count: 1 }], nvmeSupport: "unsupported" } : undefined,
        ebsInfo: { ebsOptimizedSupport: "unsupported", encryptionSupport: "unsupported", nvmeSupport: "unsupported" },
        networkInfo: { networkPerformance: "unknown", maximumNetworkInterfaces: 1, ipv4AddressesPerInterface: 1, ipv6AddressesPerInterface: 0, ipv6Supported: false, enaSupport: "unsupported" },
        placementGroupInfo: { supportedStrategies: [] },
        hibernationSupported: false,
        burstablePerformanceSupported: false,
        dedicatedHostsSupported: false,
        autoRecoverySupported: false,
        supportedBootModes: ["legacy-bios", "uefi"],
      })),
      nextToken: page.nextToken,
    };
  },
);

interface Offering {
  readonly instanceType: string;
  readonly location: string;
  readonly id: string;
}

export const describeInstanceTypeOfferings = defineAction(
  "DescribeInstanceTypeOfferings",
  { LocationType: str({ oneOf: ["region", "availability-zone", "availability-zone-id"] }), Filter: filterList, ...pagination },
  async ({ services }, p) => {
    const facts = await typeFacts(services);
    const locationType = p.LocationType ?? "region";
    const { region } = services.topology;
    const ids = await zoneIds(services.db, region);
    const zoneId = (zone: string) => ids.get(zone)!;
    const offerings: Offering[] = facts.flatMap((f) => {
      if (locationType === "region") return f.machines.length ? [{ instanceType: f.type.name, location: region, id: `${region}/${f.type.name}` }] : [];
      const here = [...new Set(f.machines.map((m) => m.zone))].sort();
      return here.map((zone) => {
        const location = locationType === "availability-zone" ? zone : zoneId(zone);
        return { instanceType: f.type.name, location, id: `${location}/${f.type.name}` };
      });
    });
    const fields: FilterFields<Offering> = { "instance-type": (o) => o.instanceType, location: (o) => o.location };
    const sorted = applyFilters(offerings, p.Filter, fields).sort((a, b) => (a.id < b.id ? -1 : 1));
    const page = paginate(sorted, (o) => o.id, "DescribeInstanceTypeOfferings", p.MaxResults, p.NextToken);
    return { instanceTypeOfferingSet: page.items.map((o) => ({ instanceType: o.instanceType, locationType, location: o.location })), nextToken: page.nextToken };
  },
);

const SPOT_FILTERS: FilterFields<never> = {
  "availability-zone": () => undefined,
  "instance-type": () => undefined,
  "product-description": () => undefined,
  "spot-price": () => undefined,
  timestamp: () => undefined,
};

export const describeSpotPriceHistory = defineAction(
  "DescribeSpotPriceHistory",
  {
    InstanceType: list(str({ max: 64 }), { max: 100 }),
    ProductDescription: list(str({ max: 64 }), { max: 20 }),
    AvailabilityZone: str({ max: 64 }),
    StartTime: str({ max: 64 }),
    EndTime: str({ max: 64 }),
    Filter: filterList,
    MaxResults: pagination.MaxResults,
    NextToken: pagination.NextToken,
  },
  async (_context, p) => {
    // Bare metal has no spot market: the history is always empty, but a filter is still
    // checked, so a misspelt one is an error here as everywhere else.
    compileFilters(p.Filter, SPOT_FILTERS);
    return { spotPriceHistorySet: [], nextToken: "" };
  },
);
