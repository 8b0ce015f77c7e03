/**
 * @module metadata/vendor-data
 * Orchestra's own client setup for deployed nodes, as cloud-init vendor-data: the apt
 * caching proxy, TLS syslog forwarding with the CA that signed the syslog server's
 * certificate, the puppet server, and the EC2 endpoint override AWS SDKs read
 * (`AWS_ENDPOINT_URL_EC2`, so a Juju controller Orchestra deployed reaches Orchestra too). The caller's user-data runs after it and can override
 * any of it (cloud-init merges vendor-data under user-data).
 */
import { dump, load } from "js-yaml";
import { OrchestraError } from "../errors.ts";

/** What the provisioning server offers its nodes; each part is optional. */
export interface VendorDataInput {
  /** The apt caching proxy, e.g. http://192.0.2.1:3128. */
  readonly aptProxyUrl?: string;
  /** The TLS syslog server (RFC 5425) and the PEM CA certificate that signed its certificate. */
  readonly syslog?: { readonly host: string; readonly port: number; readonly caPem: string };
  /** The puppet server's name, as its certificate names it. */
  readonly puppetServer?: string;
  /** Orchestra's EC2 endpoint, e.g. http://192.0.2.1:8773: only the URL, never a credential. */
  readonly ec2Endpoint?: string;
}

/** Where the endpoint override lands on the node: login shells, PAM sessions, and every systemd service (jujud included). */
export const NODE_AWS_ENDPOINT_FILES = {
  profile: "/etc/profile.d/orchestra-aws-endpoint.sh",
  environment: "/etc/environment",
  // A top-level drop-in applies to every service unit loaded after it is written, so an agent
  // installed later in the same boot (Juju's) starts with it; /etc/environment reaches no service.
  systemd: "/etc/systemd/system/service.d/60-orchestra-aws-endpoint.conf",
} as const;

/** Check the EC2 endpoint for the environment: an http(s) URL with no user, password, query or characters that shells or systemd would read. */
function checkEc2Endpoint(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    invalid(`the EC2 endpoint ${JSON.stringify(value)} is not a URL`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") invalid(`the EC2 endpoint is an http:// or https:// URL, not ${url.protocol}`);
  if (url.username || url.password) invalid("the EC2 endpoint must not carry a user or password: vendor-data is readable by the node's users");
  if (url.search || url.hash) invalid("the EC2 endpoint has no query or fragment");
  if (!/^[A-Za-z0-9:/._\[\]-]+$/.test(value)) invalid(`the EC2 endpoint ${JSON.stringify(value)} has characters a shell or systemd would read`);
  return value.replace(/\/$/, "");
}

/** Where the syslog CA lands on the node. */
export const NODE_SYSLOG_CA_PATH = "/etc/ssl/certs/orchestra-syslog-ca.pem";

/** Vendor-data's size limit, as the metadata store's. */
export const VENDOR_DATA_LIMIT = 64 * 1024;

const HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

function invalid(message: string): never {
  throw new OrchestraError("INVALID_ARGUMENT", message);
}

/** The vendor-data document (`#cloud-config`), or an empty string when there is nothing to set up. */
export function renderVendorData(input: VendorDataInput): string {
  const config: Record<string, unknown> = {};
  const packages: string[] = [];
  const writeFiles: Record<string, unknown>[] = [];
  if (input.aptProxyUrl !== undefined) {
    let url: URL;
    try {
      url = new URL(input.aptProxyUrl);
    } catch {
      invalid(`the apt proxy ${JSON.stringify(input.aptProxyUrl)} is not a URL`);
    }
    if (url.protocol !== "http:") invalid(`the apt proxy is an http:// URL, not ${url.protocol}`);
    config.apt = { proxy: url.href };
  }
  if (input.syslog !== undefined) {
    const { host, port, caPem } = input.syslog;
    if (!HOST.test(host)) invalid(`the syslog host ${JSON.stringify(host)} is not a host name or address`);
    if (!Number.isInteger(port) || port < 1 || port > 65535) invalid(`the syslog port ${port} is not 1-65535`);
    if (!/^-----BEGIN CERTIFICATE-----\n[\s\S]+\n-----END CERTIFICATE-----\n?$/.test(caPem)) invalid("the syslog CA is not a PEM certificate");
    writeFiles.push({ path: NODE_SYSLOG_CA_PATH, permissions: "0644", content: caPem.endsWith("\n") ? caPem : `${caPem}\n` });
    packages.push("rsyslog-gnutls");
    config.rsyslog = {
      configs: [
        {
          filename: "60-orchestra-forward.conf",
          content: [
            "# Forward everything to Orchestra's syslog server over TLS, checking its certificate.",
            `global(DefaultNetstreamDriver="gtls" DefaultNetstreamDriverCAFile="${NODE_SYSLOG_CA_PATH}")`,
            `action(type="omfwd" target="${host}" port="${port}" protocol="tcp" StreamDriver="gtls" StreamDriverMode="1" StreamDriverAuthMode="x509/name" StreamDriverPermittedPeers="${host}")`,
            "",
          ].join("\n"),
        },
      ],
    };
  }
  if (input.ec2Endpoint !== undefined) {
    const endpoint = checkEc2Endpoint(input.ec2Endpoint);
    writeFiles.push(
      { path: NODE_AWS_ENDPOINT_FILES.profile, permissions: "0644", content: `# Orchestra's EC2 API, for AWS SDKs and CLIs on this node (vendor-data).\nexport AWS_ENDPOINT_URL_EC2=${endpoint}\n` },
      { path: NODE_AWS_ENDPOINT_FILES.environment, append: true, content: `AWS_ENDPOINT_URL_EC2=${endpoint}\n` },
      { path: NODE_AWS_ENDPOINT_FILES.systemd, permissions: "0644", content: `# Orchestra's EC2 API, for AWS SDKs in every service (vendor-data).\n[Service]\nEnvironment=AWS_ENDPOINT_URL_EC2=${endpoint}\n` },
    );
  }
  if (input.puppetServer !== undefined) {
    if (!HOST.test(input.puppetServer)) invalid(`the puppet server ${JSON.stringify(input.puppetServer)} is not a host name`);
    config.puppet = { install: true, conf: { agent: { server: input.puppetServer } } };
  }
  if (writeFiles.length > 0) config.write_files = writeFiles;
  if (packages.length > 0) config.packages = packages;
  if (Object.keys(config).length === 0) return "";
  return `#cloud-config\n# Orchestra's client setup for this node (vendor-data); the instance's user-data may override it.\n${dump(config, { lineWidth: -1 })}`;
}

/**
 * Check a vendor-data file given to `orchestra serve`: at most 64 KiB of UTF-8 text, either a
 * `#cloud-config` YAML mapping or a script (`#!`). Answers the text.
 */
export function checkVendorData(text: string, source: string): string {
  if (Buffer.byteLength(text) > VENDOR_DATA_LIMIT) invalid(`${source}: vendor-data is limited to ${VENDOR_DATA_LIMIT} bytes`);
  if (text.startsWith("#!")) return text;
  if (!text.startsWith("#cloud-config")) invalid(`${source}: vendor-data starts with #cloud-config or #! (a script)`);
  let parsed: unknown;
  try {
    parsed = load(text);
  } catch (error) {
    invalid(`${source}: vendor-data is not valid YAML: ${(error as Error).message.split("\n")[0]}`);
  }
  if (parsed !== null && parsed !== undefined && (typeof parsed !== "object" || Array.isArray(parsed))) invalid(`${source}: #cloud-config vendor-data is a YAML mapping`);
  return text;
}
