/**
 * @module charm/config/charm-config
 * The charm's config options, checked and typed. Bad values never crash a hook: they come
 * back as problems, which the status turns into `blocked` with what to fix.
 */
import { isIPv4 } from "node:net";

/** The supporting services a unit can run beside the orchestra service. */
export const COMPONENTS = ["dnsmasq", "squid", "rsyslog", "puppetserver", "nginx"] as const;
/** One supporting service. */
export type Component = (typeof COMPONENTS)[number];

/** DHCP roles dnsmasq can take. */
export type DhcpMode = "full" | "proxy" | "off";

/** The config, validated. */
export interface CharmConfig {
  components: Component[];
  provisioningInterface: string;
  /** The subnet as network address and prefix length; null when DHCP is off and none was set. */
  provisioningSubnet: { network: string; prefix: number } | null;
  dhcpRange: { first: string; last: string } | null;
  dhcpMode: DhcpMode;
  dnsDomain: string;
  autoAccept: boolean;
  /** Accept plain syslog on 514 while a plain forwarder is related. */
  syslogPlainListener: boolean;
  region: string;
  listenAddress: string;
  ec2Port: number;
  bootPort: number;
  aptProxyPort: number;
  imageSources: string[];
  githubPuppetRepository: string;
  githubToken: string;
  githubPuppetBranches: string;
  githubApiUrl: string;
  /** The ssh-keys setting as given (OpenSSH lines and gh:USER entries); serve checks each entry. */
  sshKeys: string;
  logLevel: "trace" | "debug" | "info" | "warn" | "error";
}

/** The result of parsing: a config, or the list of things the operator must fix. */
export type ParsedConfig = { ok: true; config: CharmConfig } | { ok: false; problems: string[] };

function ipToNumber(ip: string): number {
  return ip.split(".").reduce((n, octet) => n * 256 + Number(octet), 0);
}

function inSubnet(ip: string, subnet: { network: string; prefix: number }): boolean {
  const size = 2 ** (32 - subnet.prefix);
  const base = ipToNumber(subnet.network);
  const n = ipToNumber(ip);
  return n >= base && n < base + size;
}

const DOMAIN = /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;
const INTERFACE = /^[A-Za-z0-9_.:@-]{1,15}$/;
const REGION = /^[a-z0-9][a-z0-9-]{0,62}$/;
const REPOSITORY = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;
const LOG_LEVELS = ["trace", "debug", "info", "warn", "error"] as const;

/**
 * Checks raw config-get output and returns the typed config or every problem found.
 * @example parseCharmConfig({ "dhcp-mode": "off", ... })
 */
export function parseCharmConfig(raw: Record<string, unknown>): ParsedConfig {
  const problems: string[] = [];
  const str = (key: string): string => {
    const v = raw[key];
    if (v === undefined || v === null) return "";
    if (typeof v !== "string") {
      problems.push(`${key} must be text`);
      return "";
    }
    return v.trim();
  };
  const port = (key: string): number => {
    const v = raw[key];
    if (typeof v !== "number" || !Number.isInteger(v) || v < 1 || v > 65535) {
      problems.push(`${key} must be a port number from 1 to 65535 (got ${JSON.stringify(v)})`);
      return 0;
    }
    return v;
  };

  const components: Component[] = [];
  for (const word of str("components").split(/\s+/).filter((w) => w !== "")) {
    if ((COMPONENTS as readonly string[]).includes(word)) {
      if (!components.includes(word as Component)) components.push(word as Component);
    } else problems.push(`components: unknown component "${word}" (choose from ${COMPONENTS.join(", ")})`);
  }

  const dhcpModeText = str("dhcp-mode") || "proxy";
  let dhcpMode: DhcpMode = "off";
  if (dhcpModeText === "full" || dhcpModeText === "proxy" || dhcpModeText === "off") dhcpMode = dhcpModeText;
  else problems.push(`dhcp-mode must be full, proxy or off (got "${dhcpModeText}")`);
  const dhcpWanted = dhcpMode !== "off" && components.includes("dnsmasq");

  const provisioningInterface = str("provisioning-interface");
  if (provisioningInterface !== "" && !INTERFACE.test(provisioningInterface)) problems.push(`provisioning-interface "${provisioningInterface}" is not an interface name`);
  if (dhcpWanted && provisioningInterface === "") problems.push(`set provisioning-interface (the NIC facing the machines) or dhcp-mode=off`);

  let provisioningSubnet: CharmConfig["provisioningSubnet"] = null;
  const subnetText = str("provisioning-subnet");
  if (subnetText !== "") {
    const m = /^([0-9.]+)\/([0-9]{1,2})$/.exec(subnetText);
    const prefix = m ? Number(m[2]) : -1;
    if (!m || !isIPv4(m[1]!) || prefix < 8 || prefix > 30) {
      problems.push(`provisioning-subnet must be an IPv4 CIDR like 10.10.0.0/24 (got "${subnetText}")`);
    } else {
      const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
      if ((ipToNumber(m[1]!) & mask) >>> 0 !== ipToNumber(m[1]!)) problems.push(`provisioning-subnet ${subnetText} has host bits set; did you mean the network address?`);
      else provisioningSubnet = { network: m[1]!, prefix };
    }
  } else if (dhcpWanted) problems.push(`set provisioning-subnet (e.g. 10.10.0.0/24) or dhcp-mode=off`);

  let dhcpRange: CharmConfig["dhcpRange"] = null;
  const rangeText = str("dhcp-range");
  if (rangeText !== "") {
    const [first, last, extra] = rangeText.split(",").map((s) => s.trim());
    if (first === undefined || last === undefined || extra !== undefined || !isIPv4(first) || !isIPv4(last) || ipToNumber(first) > ipToNumber(last)) {
      problems.push(`dhcp-range must be "first,last" IPv4 addresses in order (got "${rangeText}")`);
    } else if (provisioningSubnet && (!inSubnet(first, provisioningSubnet) || !inSubnet(last, provisioningSubnet))) {
      problems.push(`dhcp-range ${rangeText} is not inside provisioning-subnet ${subnetText}`);
    } else dhcpRange = { first, last };
  } else if (dhcpWanted && dhcpMode === "full") problems.push(`dhcp-mode=full needs dhcp-range ("first,last")`);

  const dnsDomain = str("dns-domain").toLowerCase();
  if (!DOMAIN.test(dnsDomain)) problems.push(`dns-domain "${dnsDomain}" is not a DNS domain`);
  const region = str("region");
  if (!REGION.test(region)) problems.push(`region "${region}" must be lowercase letters, digits and dashes`);
  const listenAddress = str("listen-address") || "0.0.0.0";
  if (!isIPv4(listenAddress)) problems.push(`listen-address must be an IPv4 address (got "${listenAddress}")`);
  const autoAccept = raw["auto-accept"];
  if (typeof autoAccept !== "boolean") problems.push("auto-accept must be true or false");

  const ec2Port = port("ec2-port");
  const bootPort = port("boot-port");
  const aptProxyPort = port("apt-proxy-port");
  const ports = [ec2Port, bootPort, ...(components.includes("squid") ? [aptProxyPort] : [])].filter((p) => p !== 0);
  if (new Set(ports).size !== ports.length) problems.push("ec2-port, boot-port and apt-proxy-port must differ");

  const imageSources = str("image-sources").split(/\s+/).filter((s) => s !== "");
  for (const source of imageSources) {
    if (!/^https?:\/\/[^\s/]+/.test(source)) problems.push(`image-sources: "${source}" is not an http(s) URL`);
  }
  const githubPuppetRepository = str("github-puppet-repository");
  if (githubPuppetRepository !== "" && !REPOSITORY.test(githubPuppetRepository)) problems.push(`github-puppet-repository must be owner/name (got "${githubPuppetRepository}")`);
  const githubPuppetBranches = str("github-puppet-branches") || "*";
  if (!/^[A-Za-z0-9_.*/-]{1,100}$/.test(githubPuppetBranches)) problems.push(`github-puppet-branches must be a branch pattern of letters, digits, _ . / - and * (got "${githubPuppetBranches}")`);
  const githubApiUrl = str("github-api-url") || "https://api.github.com";
  if (!/^https?:\/\/[^\s]+$/.test(githubApiUrl)) problems.push(`github-api-url must be an http(s) URL (got "${githubApiUrl}")`);
  const sshKeys = str("ssh-keys");
  for (const entry of sshKeys.split(/[\n,]/).map((e) => e.trim()).filter((e) => e !== "")) {
    if (!/^gh:[A-Za-z0-9-]{1,39}$/.test(entry) && !/^(?:ssh-|ecdsa-|sk-)\S+ [A-Za-z0-9+/]+={0,3}(?: .*)?$/.test(entry)) problems.push(`ssh-keys: "${entry.slice(0, 40)}" is neither gh:USER nor an OpenSSH public key`);
  }
  const logLevel = str("log-level") || "info";
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) problems.push(`log-level must be one of ${LOG_LEVELS.join(", ")} (got "${logLevel}")`);

  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    config: {
      components,
      provisioningInterface,
      provisioningSubnet,
      dhcpRange,
      dhcpMode,
      dnsDomain,
      autoAccept: autoAccept as boolean,
      syslogPlainListener: raw["syslog-plain-listener"] === true,
      region,
      listenAddress,
      ec2Port,
      bootPort,
      aptProxyPort,
      imageSources,
      githubPuppetRepository,
      githubToken: str("github-token"),
      githubPuppetBranches,
      githubApiUrl,
      sshKeys,
      logLevel: logLevel as CharmConfig["logLevel"],
    },
  };
}
