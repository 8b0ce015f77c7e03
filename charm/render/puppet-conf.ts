/**
 * @module charm/render/puppet-conf
 * puppet.conf for the puppet server provisioned machines enrol with.
 */
import { managedHeader } from "./managed-header.ts";

/** Renders /etc/puppet/puppet.conf. */
export function renderPuppetConf(input: { serverName: string; autosign: boolean; environmentPath: string }): string {
  return [
    managedHeader().trimEnd(),
    "[main]",
    `server = ${input.serverName}`,
    "",
    "[server]",
    `environmentpath = ${input.environmentPath}`,
    // Machines Orchestra deployed are trusted the moment they ask when auto-accept is on.
    `autosign = ${input.autosign}`,
    "",
  ].join("\n");
}
