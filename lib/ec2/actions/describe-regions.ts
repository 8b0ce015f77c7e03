/**
 * @module ec2/actions/describe-regions
 * DescribeRegions and DescribeAvailabilityZones: Orchestra is one region with its zones.
 */
import { OrchestraError } from "../../errors.ts";
import { bool, filterList, list, str } from "../query/param-shape.ts";
import { applyFilters, type FilterFields } from "../model/filters.ts";
import { listZones, zoneIds } from "../model/network-topology.ts";
import { defineAction } from "./define-action.ts";

export const describeRegions = defineAction(
  "DescribeRegions",
  { RegionName: list(str()), AllRegions: bool(), Filter: filterList },
  async ({ services }, params) => {
    const { region } = services.topology;
    const regions = [{ regionName: region, regionEndpoint: region, optInStatus: "opt-in-not-required" }];
    const fields: FilterFields<(typeof regions)[number]> = {
      "region-name": (r) => r.regionName,
      endpoint: (r) => r.regionEndpoint,
      "opt-in-status": (r) => r.optInStatus,
    };
    const named = params.RegionName.length === 0 ? regions : regions.filter((r) => params.RegionName.includes(r.regionName));
    for (const name of params.RegionName) {
      if (name !== region) throw new OrchestraError("INVALID_ARGUMENT", `Invalid region: ${name}; this endpoint serves ${region}.`);
    }
    return { regionInfo: applyFilters(named, params.Filter, fields) };
  },
);

export const describeAvailabilityZones = defineAction(
  "DescribeAvailabilityZones",
  { ZoneName: list(str()), ZoneId: list(str()), AllAvailabilityZones: bool(), Filter: filterList },
  async ({ services }, params) => {
    const { region } = services.topology;
    const zones = await listZones(services.db);
    const ids = await zoneIds(services.db, region);
    const all = zones.map((zoneName) => ({
      zoneName,
      zoneId: ids.get(zoneName)!,
      zoneState: "available",
      regionName: region,
      zoneType: "availability-zone",
      optInStatus: "opt-in-not-required",
      groupName: region,
      networkBorderGroup: region,
      messageSet: [],
    }));
    for (const name of params.ZoneName) {
      if (!zones.includes(name)) throw new OrchestraError("INVALID_ARGUMENT", `Invalid availability zone: [${name}]`);
    }
    const fields: FilterFields<(typeof all)[number]> = {
      "zone-name": (z) => z.zoneName,
      "zone-id": (z) => z.zoneId,
      state: (z) => z.zoneState,
      "region-name": (z) => z.regionName,
      "zone-type": (z) => z.zoneType,
      "group-name": (z) => z.groupName,
      "opt-in-status": (z) => z.optInStatus,
      "network-border-group": (z) => z.networkBorderGroup,
    };
    const named = all.filter(
      (z) => (params.ZoneName.length === 0 || params.ZoneName.includes(z.zoneName)) && (params.ZoneId.length === 0 || params.ZoneId.includes(z.zoneId)),
    );
    return { availabilityZoneInfo: applyFilters(named, params.Filter, fields) };
  },
);
