/**
 * @module charm/render/puppet-conf
 * puppet.conf for the puppet server provisioned machines enrol with.
 */
import { managedHeader } from "./managed-header.ts";

/** Renders /etc/puppet/puppet.conf. */
export function renderPuppetConf(input: { serverName: string; autosignPolicy: string | null; environmentPath: string }): string {
  return [
    managedHeader().trimEnd(),
    "[main]",
    `server = ${input.serverName}`,
    // Agents are told this name (serve's --node-puppet-server): the certificate puppetserver
    // makes for itself at first start must carry it, or no agent can verify the server.
    `dns_alt_names = ${/^\d{1,3}(?:\.\d{1,3}){3}$/.test(input.serverName) ? "IP" : "DNS"}:${input.serverName}`,
    "",
    "[server]",
    `environmentpath = ${input.environmentPath}`,
    // Policy-based autosigning: the executable signs only a CSR with the one-time challenge
    // Orchestra issued to that instance; anything else waits for an operator.
    `autosign = ${input.autosignPolicy ?? "false"}`,
    "",
  ].join("\n");
}
