/**
 * @module maas/operations/network-resources
 * The read-only network and placement resources Juju lists when it bootstraps: zones,
 * resource pools, spaces, fabrics with their VLANs, subnets, static routes and domains.
 */
import { OrchestraError } from "../../errors.ts";
import { maasNetwork, domainJson, fabricJson, poolJson, spaceJson, subnetJson, zoneJson, FABRIC, SPACE, vlanJson } from "../model/network-json.ts";
import type { MaasContext } from "../model/maas-services.ts";
import { defineOperation, type MaasOperation } from "./define-operation.ts";

const network = (context: MaasContext) => maasNetwork(context.services.db, context.services.topology);

function notFound(what: string): OrchestraError {
  return new OrchestraError("MAAS_NOT_FOUND", `No ${what} matches the given query.`);
}

function list(resource: string, render: (context: MaasContext) => Promise<unknown[]>): MaasOperation {
  return defineOperation({ method: "GET", resource, op: "", params: [], run: (context) => render(context) });
}

function item(resource: string, what: string, find: (context: MaasContext, id: string) => Promise<unknown | undefined>): MaasOperation {
  return defineOperation({
    method: "GET",
    resource: `${resource}/{id}`,
    op: "",
    params: [],
    run: async (context, _params, id) => (await find(context, id!)) ?? Promise.reject(notFound(what)),
  });
}

const zones = async (context: MaasContext) => (await network(context)).zones.map(zoneJson);
const subnets = async (context: MaasContext) => (await network(context)).subnets.map(subnetJson);

export const NETWORK_OPERATIONS: readonly MaasOperation[] = [
  list("zones", zones),
  item("zones", "Zone", async (context, id) => (await zones(context)).find((z) => (z as { name: string }).name === id)),
  // MAAS 2.x serves pools at resourcepools/; gomaasapi 2.0 asks pools/.
  list("pools", async () => [poolJson()]),
  list("resourcepools", async () => [poolJson()]),
  list("spaces", async (context) => [spaceJson(await network(context))]),
  item("spaces", "Space", async (context, id) => (id === String(SPACE.id) || id === SPACE.name ? spaceJson(await network(context)) : undefined)),
  list("fabrics", async () => [fabricJson()]),
  item("fabrics", "Fabric", async (_context, id) => (id === String(FABRIC.id) || id === FABRIC.name ? fabricJson() : undefined)),
  list("fabrics/{id}/vlans", async () => [vlanJson()]),
  list("subnets", subnets),
  item("subnets", "Subnet", async (context, id) => (await subnets(context)).find((s) => String((s as { id: number }).id) === id || (s as { cidr: string }).cidr === id)),
  list("static-routes", async () => []),
  list("domains", async () => [domainJson()]),
];
