/**
 * @module hookenv/network
 * network-get: the addresses an endpoint binding is bound to.
 */
import { runToolJson } from "./run-tool.ts";

/** network-get's answer, in Juju's own key names. */
export interface NetworkInfo {
  "bind-addresses": Array<{
    "mac-address"?: string;
    "interface-name"?: string;
    addresses: Array<{ hostname?: string; value: string; cidr?: string }>;
  }>;
  "egress-subnets": string[];
  "ingress-addresses": string[];
}

/** The network info of an endpoint binding (optionally as seen over one relation). */
export async function networkGet(binding: string, options: { relationId?: string } = {}): Promise<NetworkInfo> {
  const argv = ["network-get", "--format=json"];
  if (options.relationId !== undefined) argv.push("-r", options.relationId);
  argv.push(binding);
  return await runToolJson<NetworkInfo>(argv);
}

/** The first ingress address of a binding: the address other units should use. */
export async function ingressAddress(binding: string): Promise<string> {
  const info = await networkGet(binding);
  const address = info["ingress-addresses"][0] ?? info["bind-addresses"][0]?.addresses[0]?.value;
  if (address === undefined) throw new Error(`network-get ${binding} returned no address`);
  return address;
}
