/**
 * @module charm/relations/apt-proxy
 * The units related over `apt-proxy` use squid from wherever they are, not only from the
 * provisioning subnet: their ingress addresses (Juju fills `ingress-address` and
 * `private-address` in every unit's databag) are admitted by squid.
 */
import { isIPv4 } from "node:net";
import { relationGet, relationList } from "../../lib/hookenv/index.ts";
import type { HookContext } from "../hook-context.ts";
import { forEachRelation } from "./for-each-relation.ts";

/** A remote unit's address from its databag (pure): the address, none yet, or why it is malformed. */
export function unitAddress(unit: string, data: Record<string, string>): { address: string | null } | { problem: string } {
  const address = data["ingress-address"] ?? data["private-address"];
  if (address === undefined || address === "") return { address: null };
  if (!isIPv4(address)) return { problem: `apt-proxy relation: ${unit} published address "${address.slice(0, 60)}", not an IPv4 address` };
  return { address };
}

/** The addresses squid must admit, or null (with a blocked fact) when a unit sent a malformed one. */
export async function readAptProxyClients(ctx: HookContext): Promise<string[] | null> {
  const addresses: string[] = [];
  let malformed = false;
  await forEachRelation("apt-proxy", async (relationId) => {
    for (const unit of await relationList({ relationId })) {
      const result = unitAddress(unit, await relationGet(unit, { relationId }));
      if ("problem" in result) {
        ctx.facts.blocked.push(result.problem);
        malformed = true;
      } else if (result.address !== null) addresses.push(result.address);
    }
  });
  return malformed ? null : addresses;
}
