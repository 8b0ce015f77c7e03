/**
 * @module charm/workloads/puppetserver
 * puppetserver: configuration management for provisioned machines.
 */
import { mkdirSync } from "node:fs";
import { renderAutosignScript } from "../../lib/puppet/autosign-script.ts";
import { renderPuppetConf } from "../render/puppet-conf.ts";
import { packagedService } from "./packaged-service.ts";
import { serviceRuntime } from "./orchestra.ts";

/** Port puppet agents connect to. */
export const PUPPET_PORT = 8140;

/** puppet's environmentpath; Orchestra syncs environments from GitHub into it. */
export const PUPPET_CODE_DIR = "/etc/puppet/code/environments";

/** The autosign policy executable puppet.conf names (docs/managed-nodes.md). */
export const AUTOSIGN_POLICY = "/etc/puppet/orchestra-autosign";

/** The puppetserver component. */
export const puppetserver = packagedService({
  name: "puppetserver",
  service: { name: "puppetserver", foreground: ["puppetserver", "foreground"] },
  packages: ["puppetserver"],
  // puppet.conf is the package's own file, rewritten: it stays.
  ownFiles: [],
  ports: () => [`${PUPPET_PORT}/tcp`],
  files: (host, settings) => {
    const runtime = serviceRuntime(host, settings);
    return [
      // puppetserver runs as `puppet` and may not open the store: the policy asks the local server.
      { path: AUTOSIGN_POLICY, content: renderAutosignScript({ orchestra: [runtime.node, runtime.entry], serverUrl: `http://127.0.0.1:${settings.config.bootPort}` }), mode: 0o755 },
      { path: "/etc/puppet/puppet.conf", content: renderPuppetConf({ serverName: settings.address, autosignPolicy: AUTOSIGN_POLICY, environmentPath: PUPPET_CODE_DIR }) },
    ];
  },
  // The JVM does not re-read puppet.conf on reload.
  reloadable: false,
  async prepare(host) {
    mkdirSync(host.path(`${PUPPET_CODE_DIR}/production`), { recursive: true });
  },
});
