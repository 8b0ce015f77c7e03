/**
 * @module charm/render/orchestra-service
 * The orchestra service: its environment file, its `serve` argv and its systemd unit.
 */
import type { CharmConfig } from "../config/charm-config.ts";
import { managedHeader } from "./managed-header.ts";
import { SERVE_NODE_FLAGS } from "../../lib/server/serve-node-flags.ts";

/** What the orchestra service is rendered from. */
export interface OrchestraServiceInput {
  config: Pick<CharmConfig, "region" | "autoAccept" | "dnsDomain" | "listenAddress" | "ec2Port" | "provisioningSubnet" | "bootPort" | "imageSources" | "logLevel" | "githubToken" | "githubPuppetRepository" | "githubPuppetBranches" | "githubApiUrl" | "sshKeys">;
  dataDir: string;
  databaseUrl: string | null;
  /** The node binary and the orchestra CLI entry the service runs. */
  runtime: { node: string; entry: string };
  /** The `serve` flags this build of orchestra understands (from `serve --help`). */
  serveFlags: ReadonlySet<string>;
  /** Where nodes fetch boot images when nginx serves them, or null to let orchestra serve them. */
  imageBaseUrl: string | null;
  /** The vendor-data file deployed nodes get (this unit's apt proxy and syslog), or null for none. */
  vendorDataFile?: string | null;
  /**
   * What deployed nodes are pointed at (docs/managed-nodes.md), from the components this unit
   * runs; used when this build of serve has --node-* flags, in place of a vendor-data file.
   */
  managed?: { aptProxyUrl?: string; syslog?: string; puppetServer?: string; githubTokenFile?: string; puppetCodeDir: string };
  /** The model's proxy environment (http_proxy ..., NODE_USE_ENV_PROXY). */
  proxy?: Record<string, string>;
}

function envLine(key: string, value: string): string {
  // systemd EnvironmentFile: double quotes keep spaces; escape what would end them.
  return `${key}="${value.replaceAll("\\", "\\\\").replaceAll("\"", "\\\"")}"`;
}

/** The orchestra service's environment: one source for the env file and direct starts. */
export function orchestraEnvironment(input: Pick<OrchestraServiceInput, "config" | "dataDir" | "databaseUrl" | "proxy">): Record<string, string> {
  const { config } = input;
  return {
    // The model's proxy, for image imports and GitHub.
    ...(input.proxy ?? {}),
    ORCHESTRA_DATA_DIR: input.dataDir,
    ORCHESTRA_REGION: config.region,
    ORCHESTRA_AUTO_ACCEPT: String(config.autoAccept),
    ORCHESTRA_DNS_DOMAIN: config.dnsDomain,
    ORCHESTRA_IMAGE_SOURCES: config.imageSources.join(" "),
    ORCHESTRA_GITHUB_PUPPET_REPOSITORY: config.githubPuppetRepository,
    ORCHESTRA_GITHUB_TOKEN: config.githubToken,
    ...(input.databaseUrl === null ? {} : { ORCHESTRA_DATABASE_URL: input.databaseUrl }),
  };
}

/** Renders /etc/orchestra/orchestra.env. */
export function renderOrchestraEnv(input: OrchestraServiceInput): string {
  const lines = Object.entries(orchestraEnvironment(input)).map(([k, v]) => envLine(k, v));
  return `${managedHeader()}${lines.join("\n")}\n`;
}

/** The argv after the node binary: the entry, `serve` and the flags this build supports. */
export function orchestraServeArgv(input: OrchestraServiceInput): string[] {
  const { config } = input;
  const argv = [input.runtime.entry, "--data-dir", input.dataDir, "serve", "--boot-listen", `${config.listenAddress}:${config.bootPort}`, "--log-level", config.logLevel];
  // The EC2 API joined `serve` later than the boot service: pass its flags only when known.
  if (input.serveFlags.has("--api-listen")) argv.push("--api-listen", `${config.listenAddress}:${config.ec2Port}`);
  if (input.serveFlags.has("--region")) argv.push("--region", config.region);
  if (input.serveFlags.has("--api-vpc-cidr") && config.provisioningSubnet) {
    argv.push("--api-vpc-cidr", `${config.provisioningSubnet.network}/${config.provisioningSubnet.prefix}`);
  }
  if (input.serveFlags.has("--auto-accept") && config.autoAccept) argv.push("--auto-accept");
  // nginx serves <data dir>/images with sendfile: nodes fetch kernels and initrds from it.
  if (input.serveFlags.has("--image-base-url") && input.imageBaseUrl !== null) argv.push("--image-base-url", input.imageBaseUrl);
  if (input.serveFlags.has("--node-syslog") && input.managed) {
    // Managed nodes: each gets its own certificate and puppet challenge through its vendor-data.
    const m = input.managed;
    if (m.aptProxyUrl) argv.push("--node-apt-proxy", m.aptProxyUrl);
    if (m.syslog) argv.push("--node-syslog", m.syslog);
    if (m.puppetServer) argv.push("--node-puppet-server", m.puppetServer);
    if (config.sshKeys.trim() !== "") argv.push("--node-ssh-keys", config.sshKeys.trim());
    if (config.githubPuppetRepository !== "") argv.push("--puppet-repository", config.githubPuppetRepository, "--puppet-branches", config.githubPuppetBranches, "--puppet-code-dir", m.puppetCodeDir);
    if (config.githubPuppetRepository !== "" || config.sshKeys.includes("gh:")) {
      argv.push("--github-api-url", config.githubApiUrl);
      if (m.githubTokenFile) argv.push("--github-token-file", m.githubTokenFile);
    }
  } else if (input.serveFlags.has("--vendor-data") && input.vendorDataFile) {
    // Deployed nodes learn this unit's apt proxy through their vendor-data.
    argv.push("--vendor-data", input.vendorDataFile);
  }
  return argv;
}

function quoteSystemd(arg: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? arg : `"${arg.replaceAll("\\", "\\\\").replaceAll("\"", "\\\"")}"`;
}

/** Renders /etc/systemd/system/orchestra.service. */
export function renderOrchestraUnit(input: OrchestraServiceInput, envFile: string): string {
  // Node's flags for serve (its heap sizes: lib/server/serve-node-flags.ts) before the entry.
  const exec = [input.runtime.node, ...SERVE_NODE_FLAGS, ...orchestraServeArgv(input)].map(quoteSystemd).join(" ");
  return [
    managedHeader().trimEnd(),
    "[Unit]",
    "Description=Orchestra bare-metal provisioning (EC2-compatible API, boot and metadata HTTP)",
    "After=network-online.target",
    "Wants=network-online.target",
    "",
    "[Service]",
    `EnvironmentFile=${envFile}`,
    `ExecStart=${exec}`,
    "Restart=on-failure",
    // Files it makes (the database, its journal) are no daemon's business but its own.
    "UMask=0027",
    "RestartSec=5",
    "",
    "[Install]",
    "WantedBy=multi-user.target",
    "",
  ].join("\n");
}
