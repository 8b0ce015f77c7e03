/**
 * @module metadata/vendor-data
 * Orchestra's own client setup for deployed nodes (the orchestra-client role), as cloud-init
 * vendor-data: the site CA in the system trust store, the apt caching proxy, syslog
 * forwarding over TLS (mutual, with the node's own certificate, when the node has one), the
 * puppet agent with its one-time challenge, and authorized SSH keys. Each part appears only
 * when it is given, and the EC2 endpoint override AWS SDKs read (`AWS_ENDPOINT_URL_EC2`, so a
 * Juju controller Orchestra deployed reaches Orchestra too). The caller's user-data runs after
 * it and wins where they conflict
 * (cloud-init merges vendor-data under user-data).
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
  /** The site CA (PEM), added to the node's system trust store. */
  readonly siteCaPem?: string;
  /** This node's own credentials: its client certificate and key, and its puppet challenge. */
  readonly node?: { readonly instanceId: string; readonly certPem: string; readonly keyPem: string; readonly challenge: string };
  /** OpenSSH public key lines the default user accepts. */
  readonly sshKeys?: readonly string[];
  /** Orchestra's EC2 endpoint, e.g. http://192.0.2.1:8773: only the URL, never a credential. */
  readonly ec2Endpoint?: string;
  /**
   * Where the node renews its syslog client certificate (the metadata service's
   * NODE_CERTIFICATE_PATH, e.g. http://192.0.2.1:5248/orchestra/node-certificate). Given with
   * `node` and `syslog`, the node gets a daily cron job that renews it before it expires.
   */
  readonly certificateRenewalUrl?: string;
}

/** The node's renewal script and its cron entry (docs/managed-nodes.md, "certificate lifecycle"). */
export const NODE_RENEW_SCRIPT_PATH = "/usr/local/sbin/orchestra-renew-certificate";
export const NODE_RENEW_CRON_PATH = "/etc/cron.d/orchestra-renew-certificate";

/**
 * The renewal script (POSIX sh; openssl and curl are on every cloud image): a CSR signed with
 * the node's own key proves possession of it; the answer replaces node.pem only when it is a
 * certificate for that very key, and rsyslog is restarted only when it changed (gtls reads
 * its certificate at start).
 */
export function renderRenewScript(url: string): string {
  return [
    "#!/bin/sh",
    "# Orchestra (vendor-data): renew this node's syslog client certificate before it expires.",
    "set -eu",
    `url='${url}'`,
    `cert=${NODE_CERT_PATH}`,
    `key=${NODE_KEY_PATH}`,
    '[ -r "$key" ] && [ -r "$cert" ] || exit 0',
    'tmp=$(mktemp -d)',
    `trap 'rm -rf "$tmp"' EXIT`,
    // The server names the certificate from its own records; the CSR's subject is not read.
    'openssl req -new -key "$key" -subj /CN=orchestra-node -out "$tmp/request.pem"',
    'curl -fsS --max-time 60 -H "content-type: application/x-pem-file" --data-binary "@$tmp/request.pem" -o "$tmp/node.pem" "$url"',
    // Only a certificate for this node's own key may replace the one rsyslog presents.
    'want=$(openssl pkey -in "$key" -pubout)',
    'got=$(openssl x509 -in "$tmp/node.pem" -noout -pubkey)',
    '[ "$want" = "$got" ] || { echo "orchestra-renew-certificate: the answer is not a certificate for this node key" >&2; exit 1; }',
    'cmp -s "$tmp/node.pem" "$cert" && exit 0',
    'install -m 0644 "$tmp/node.pem" "$cert.new"',
    'mv "$cert.new" "$cert"',
    'if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then systemctl try-restart rsyslog; else service rsyslog restart || true; fi',
    'logger -t orchestra-renew-certificate "renewed $cert: $(openssl x509 -in "$cert" -noout -enddate)"',
    "",
  ].join("\n");
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

/** Where the node's own certificate and key land. */
export const NODE_CERT_PATH = "/etc/orchestra/node.pem";
export const NODE_KEY_PATH = "/etc/orchestra/node.key";

/** The OID of PKCS#9 challengePassword, as puppet's csr_attributes.yaml names it. */
export const CHALLENGE_PASSWORD_OID = "1.2.840.113549.1.9.7";

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
  const files: Record<string, unknown>[] = [];
  const pem = (value: string, what: string, kind = "CERTIFICATE") => {
    if (!new RegExp(`^-----BEGIN ${kind}-----\\n[\\s\\S]+\\n-----END ${kind}-----\\n?$`).test(value)) invalid(`${what} is not a PEM ${kind.toLowerCase()}`);
    return value.endsWith("\n") ? value : `${value}\n`;
  };
  if (input.siteCaPem !== undefined) config.ca_certs = { trusted: [pem(input.siteCaPem, "the site CA")] };
  const node = input.node;
  if (node !== undefined) {
    if (!/^i-[0-9a-f]{17}$/.test(node.instanceId)) invalid(`${JSON.stringify(node.instanceId)} is not an instance id`);
    if (!/^[A-Za-z0-9_-]{32,64}$/.test(node.challenge)) invalid("the puppet challenge is 32-64 characters of A-Z a-z 0-9 _ -");
    files.push({ path: NODE_CERT_PATH, permissions: "0644", content: pem(node.certPem, "the node certificate") });
    files.push({ path: NODE_KEY_PATH, permissions: "0600", content: pem(node.keyPem, "the node key", "RSA PRIVATE KEY") });
  }
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
    files.push({ path: NODE_SYSLOG_CA_PATH, permissions: "0644", content: caPem.endsWith("\n") ? caPem : `${caPem}\n` });
    packages.push("rsyslog-gnutls");
    // With its own certificate the node proves who it is (mutual TLS); without, it only checks the server.
    const clientCert = node === undefined ? "" : ` DefaultNetstreamDriverCertFile="${NODE_CERT_PATH}" DefaultNetstreamDriverKeyFile="${NODE_KEY_PATH}"`;
    config.rsyslog = {
      configs: [
        {
          filename: "60-orchestra-forward.conf",
          content: [
            "# Forward everything to Orchestra's syslog server over TLS, checking its certificate.",
            `global(DefaultNetstreamDriver="gtls" DefaultNetstreamDriverCAFile="${NODE_SYSLOG_CA_PATH}"${clientCert})`,
            `action(type="omfwd" target="${host}" port="${port}" protocol="tcp" StreamDriver="gtls" StreamDriverMode="1" StreamDriverAuthMode="x509/name" StreamDriverPermittedPeers="${host}")`,
            "",
          ].join("\n"),
        },
      ],
    };
  }
  if (input.certificateRenewalUrl !== undefined && node !== undefined && input.syslog !== undefined) {
    const url = input.certificateRenewalUrl;
    if (!/^https?:\/\/[A-Za-z0-9.:\[\]-]+\/[A-Za-z0-9._\/-]*$/.test(url)) invalid(`the certificate renewal URL ${JSON.stringify(url)} is not a plain http(s) URL`);
    // A minute of its own per node (from its id), so a rack of nodes does not ask at once.
    const minute = Number.parseInt(node.instanceId.slice(-4), 16) % 60;
    files.push(
      { path: NODE_RENEW_SCRIPT_PATH, permissions: "0755", content: renderRenewScript(url) },
      { path: NODE_RENEW_CRON_PATH, permissions: "0644", content: `# Orchestra (vendor-data): renew the syslog client certificate before it expires (daily; renewed in its last 30 days).\n${minute} 4 * * * root ${NODE_RENEW_SCRIPT_PATH} 2>&1 | logger -t orchestra-renew-certificate\n` },
    );
  }
  if (input.ec2Endpoint !== undefined) {
    const endpoint = checkEc2Endpoint(input.ec2Endpoint);
    files.push(
      { path: NODE_AWS_ENDPOINT_FILES.profile, permissions: "0644", content: `# Orchestra's EC2 API, for AWS SDKs and CLIs on this node (vendor-data).\nexport AWS_ENDPOINT_URL_EC2=${endpoint}\n` },
      { path: NODE_AWS_ENDPOINT_FILES.environment, append: true, content: `AWS_ENDPOINT_URL_EC2=${endpoint}\n` },
      { path: NODE_AWS_ENDPOINT_FILES.systemd, permissions: "0644", content: `# Orchestra's EC2 API, for AWS SDKs in every service (vendor-data).\n[Service]\nEnvironment=AWS_ENDPOINT_URL_EC2=${endpoint}\n` },
    );
  }
  if (input.puppetServer !== undefined) {
    if (!HOST.test(input.puppetServer)) invalid(`the puppet server ${JSON.stringify(input.puppetServer)} is not a host name`);
    // The certname is the instance id: the name the node's certificate carries and the one
    // the autosign policy looks the challenge up by.
    const agent: Record<string, string> = { server: input.puppetServer };
    if (node !== undefined) agent.certname = node.instanceId;
    config.puppet = {
      // Orchestra's OS image carries puppet-agent (lib/images); installing here would need the
      // archive reachable at first boot, and a failed install skips the whole module.
      install: false,
      conf: { agent },
      ...(node === undefined ? {} : { csr_attributes: { custom_attributes: { [CHALLENGE_PASSWORD_OID]: node.challenge } } }),
    };
  }
  if (input.sshKeys !== undefined && input.sshKeys.length > 0) {
    for (const key of input.sshKeys) if (!/^(?:ssh-|ecdsa-|sk-)[^\r\n]+$/.test(key)) invalid(`${JSON.stringify(key.slice(0, 40))} is not one OpenSSH public key line`);
    config.ssh_authorized_keys = [...input.sshKeys];
  }
  if (files.length > 0) config.write_files = files;
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
