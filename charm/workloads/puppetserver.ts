/**
 * @module charm/workloads/puppetserver
 * puppetserver: configuration management for provisioned machines.
 */
import { mkdirSync } from "node:fs";
import { renderPuppetConf } from "../render/puppet-conf.ts";
import { packagedService } from "./packaged-service.ts";

/** Port puppet agents connect to. */
export const PUPPET_PORT = 8140;

/** The puppetserver component. */
export const puppetserver = packagedService({
  name: "puppetserver",
  service: { name: "puppetserver", foreground: ["puppetserver", "foreground"] },
  packages: ["puppetserver"],
  // puppet.conf is the package's own file, rewritten: it stays.
  ownFiles: [],
  ports: () => [`${PUPPET_PORT}/tcp`],
  files: (_host, settings) => [{
    path: "/etc/puppet/puppet.conf",
    content: renderPuppetConf({ serverName: settings.address, autosign: settings.config.autoAccept, environmentPath: "/etc/puppet/code/environments" }),
  }],
  // The JVM does not re-read puppet.conf on reload.
  reloadable: false,
  async prepare(host) {
    mkdirSync(host.path("/etc/puppet/code/environments/production"), { recursive: true });
  },
});
