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
    "",
    "[server]",
    `environmentpath = ${input.environmentPath}`,
    // Policy-based autosigning: the executable signs only a CSR with the one-time challenge
    // Orchestra issued to that instance; anything else waits for an operator.
    `autosign = ${input.autosignPolicy ?? "false"}`,
    "",
  ].join("\n");
}
