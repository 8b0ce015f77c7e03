/**
 * @module charm/relations/provisioning-binding
 * The address the unit advertises to provisioned machines comes from the `provisioning`
 * binding; dnsmasq serves `provisioning-interface`. When the two disagree, machines would be
 * told to fetch from an address on another network: the unit blocks and says so.
 */
import { networkGet, type NetworkInfo } from "../../lib/hookenv/index.ts";
import type { CharmConfig } from "../config/charm-config.ts";
import type { HookContext } from "../hook-context.ts";

/** Why the binding does not match the config (pure), or null when it does. */
export function bindingMismatch(info: NetworkInfo, config: Pick<CharmConfig, "provisioningInterface" | "dhcpMode">): string | null {
  if (config.dhcpMode === "off" || config.provisioningInterface === "") return null;
  const interfaces = info["bind-addresses"].map((b) => b["interface-name"] ?? "").filter((name) => name !== "");
  if (interfaces.length === 0 || interfaces.includes(config.provisioningInterface)) return null;
  return `the provisioning binding is on ${interfaces.join(", ")}, not provisioning-interface ${config.provisioningInterface}: bind it to that network (juju bind orchestra provisioning=<space>) or fix provisioning-interface`;
}

/** The provisioning binding's ingress address; null with a blocked fact on a mismatch. */
export async function provisioningAddress(ctx: HookContext, config: CharmConfig): Promise<string | null> {
  const info = await networkGet("provisioning");
  const mismatch = bindingMismatch(info, config);
  if (mismatch !== null) {
    ctx.facts.blocked.push(mismatch);
    return null;
  }
  const address = info["ingress-addresses"][0] ?? info["bind-addresses"][0]?.addresses[0]?.value;
  if (address === undefined) throw new Error("network-get provisioning returned no address");
  return address;
}
