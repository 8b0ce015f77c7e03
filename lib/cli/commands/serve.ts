/**
 * @module cli/commands/serve
 * `orchestra serve`: the long-running server, until SIGINT or SIGTERM.
 */
import { join } from "node:path";
import { Command } from "commander";
import { CredentialStore } from "../../ec2/credentials/credential-store.ts";
import { MaasKeyStore } from "../../maas/credentials/maas-key-store.ts";
import { loadOrCreateSecretKey, SECRET_KEY_FILE, secretBox } from "../../ec2/credentials/secret-box.ts";
import { DEFAULT_TOPOLOGY } from "../../ec2/model/ec2-services.ts";
import { parseCidr } from "../../ec2/model/network-topology.ts";
import { Inventory } from "../../inventory/inventory.ts";
import { type ListenAddress, parseListenAddress } from "../../server/listen-address.ts";
import { openStore } from "../../store/open-store.ts";
import { databaseUrl, dataDirFor } from "../context.ts";
import { addLogOptions, checkLogOptions } from "../log-options.ts";
import { parseWholeNumber } from "../parse-options.ts";
import { packageVersion } from "../package-version.ts";
import type { DhcpServiceSettings } from "../../boot/dhcp-service.ts";
import { readFile } from "node:fs/promises";
import { OrchestraError } from "../../errors.ts";
import { ERASE_MODES, type EraseMode } from "../../deploy/erasure-rows.ts";
import { checkVendorData, renderVendorData } from "../../metadata/vendor-data.ts";
import type { ManagedSiteSettings } from "../../managed/managed-site.ts";
import { checkBootBaseUrl } from "../../boot/request-base-url.ts";
import { DEFAULT_SESSION_LIMITS, UserStore } from "../../dashboard/user-store.ts";
import { LoginLimiter } from "../../dashboard/login-limiter.ts";
import { ChangeFeed } from "../../dashboard/change-feed.ts";
import { storeImageSource } from "../../ec2/model/image-source.ts";
import { fileConsoleLogs } from "../../deploy/console-log.ts";
import { type ConnectionLimits, DEFAULT_CONNECTION_LIMITS, resolveConnectionLimits } from "../../server/connection-limits.ts";

/** The listeners' limits from serve's --http-* options (seconds on the command line). */
function connectionLimits(o: Record<string, string>): ConnectionLimits {
  const seconds = (option: string, value: string) => parseWholeNumber(option, value) * 1000;
  return resolveConnectionLimits({
    headersTimeoutMs: seconds("--http-headers-timeout", o.httpHeadersTimeout!),
    requestTimeoutMs: seconds("--http-request-timeout", o.httpRequestTimeout!),
    idleTimeoutMs: seconds("--http-idle-timeout", o.httpIdleTimeout!),
    keepAliveTimeoutMs: seconds("--http-keep-alive-timeout", o.httpKeepAliveTimeout!),
    maxConnectionsPerSource: parseWholeNumber("--http-max-connections-per-source", o.httpMaxConnectionsPerSource!),
  });
}

/** DHCP settings from serve's --dhcp-* options. */
function dhcpSettings(o: Record<string, string | undefined>, bootHost: string, bootPort: number): DhcpServiceSettings {
  const serverAddress = o.dhcpServerAddress ?? bootHost;
  if (serverAddress === "0.0.0.0" || !/^\d+\.\d+\.\d+\.\d+$/.test(serverAddress)) {
    throw new OrchestraError("MISSING_ARGUMENT", "--dhcp-interface needs this server's IPv4 address on that network: give --dhcp-server-address (or a specific --boot-listen host)");
  }
  if ((o.dhcpRange === undefined) === (o.dhcpProxy === undefined)) {
    throw new OrchestraError("INVALID_ARGUMENT", "--dhcp-interface needs exactly one of --dhcp-range START-END or --dhcp-proxy NETWORK");
  }
  const range = o.dhcpRange?.split("-");
  if (range && range.length !== 2) throw new OrchestraError("INVALID_ARGUMENT", `invalid --dhcp-range ${JSON.stringify(o.dhcpRange)}: expected START-END`);
  return {
    interface: o.dhcpInterface!,
    serverAddress,
    bootPort,
    mode: range ? "dhcp" : "proxy",
    netmask: o.dhcpNetmask ?? "255.255.255.0",
    range: range ? { start: range[0]!, end: range[1]! } : undefined,
    network: o.dhcpProxy,
    gateway: o.dhcpGateway,
    domain: o.dhcpDomain,
    uefiLoader: o.dhcpUefiLoader as DhcpServiceSettings["uefiLoader"],
    user: o.dnsmasqUser,
  };
}

/** Check --image-base-url: an http(s) URL that iPXE can fetch from. */
function imageBaseUrl(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (!/^https?:\/\/[^\s${}#"'\\]+$/.test(value)) throw new OrchestraError("INVALID_ARGUMENT", `invalid --image-base-url ${JSON.stringify(value)}: expected an http(s) URL`);
  return value;
}

/**
 * The URL nodes reach the boot listener at: --boot-url, else the address this server has on
 * the provisioning network when one is known (not a wildcard), else undefined (each
 * connection's local address is used).
 */
function defaultBootUrl(explicit: string | undefined, host: string, port: number): string | undefined {
  if (explicit !== undefined) return checkBootBaseUrl(explicit);
  if (host === "0.0.0.0" || host === "::" || host === "") return undefined;
  return checkBootBaseUrl(`http://${host.includes(":") ? `[${host}]` : host}:${port}`, "--boot-listen");
}

/** Refuse two listeners on one port before either starts (the second would fail half way up). */
function checkDistinctListeners(boot: { host: string; port: number }, api: { host: string; port: number }, names: readonly [string, string] = ["--boot-listen", "--api-listen"]): void {
  const overlap = boot.host === api.host || boot.host === "0.0.0.0" || api.host === "0.0.0.0";
  if (boot.port !== 0 && boot.port === api.port && overlap) {
    throw new OrchestraError("ADDRESS_IN_USE", `${names[0]} ${boot.host}:${boot.port} and ${names[1]} ${api.host}:${api.port} are the same address: give each listener its own port`);
  }
}

/** A listen failure (EADDRINUSE, EACCES) as one clear error naming the option to change. */
function listenError(error: unknown, boot: { port: number }, api: { port: number }): unknown {
  const e = error as NodeJS.ErrnoException & { address?: string; port?: number };
  if (e?.code !== "EADDRINUSE" && e?.code !== "EACCES" && e?.code !== "EADDRNOTAVAIL") return error;
  const option = e.port === api.port ? "--api-listen" : e.port === boot.port ? "--boot-listen" : "--boot-listen or --api-listen";
  const where = e.address === undefined ? "" : ` ${e.address}:${e.port}`;
  const why = e.code === "EADDRINUSE" ? "the address is in use by another program" : e.code === "EACCES" ? "permission denied (ports below 1024 need root)" : "this machine has no such address";
  return new OrchestraError(e.code === "EADDRINUSE" ? "ADDRESS_IN_USE" : "INVALID_ARGUMENT", `cannot listen on${where}: ${why}; choose another with ${option}`, { address: e.address, port: e.port });
}

/** Managed-node settings from serve's --node-*, --puppet-* and --github-* options; undefined when none is given. */
async function managedSettings(o: Record<string, string | undefined>): Promise<Omit<ManagedSiteSettings, "dataDir" | "logger"> | undefined> {
  const any = [o.nodeAptProxy, o.nodeSyslog, o.nodePuppetServer, o.nodeSshKeys, o.puppetRepository].some((v) => v !== undefined);
  if (!any) return undefined;
  const syslog = o.nodeSyslog === undefined ? undefined : /^([A-Za-z0-9.-]+):(\d{1,5})$/.exec(o.nodeSyslog);
  if (syslog === null) throw new OrchestraError("INVALID_ARGUMENT", `invalid --node-syslog ${JSON.stringify(o.nodeSyslog)}: expected host:port`);
  if (!/^https?:\/\/[^\s]+$/.test(o.githubApiUrl!)) throw new OrchestraError("INVALID_ARGUMENT", `invalid --github-api-url ${JSON.stringify(o.githubApiUrl)}: expected an http(s) URL`);
  const token = o.githubTokenFile === undefined ? undefined : (await readFile(o.githubTokenFile, "utf8").catch((error: Error) => {
    throw new OrchestraError("INVALID_ARGUMENT", `cannot read --github-token-file ${JSON.stringify(o.githubTokenFile)}: ${error.message}`);
  })).trim();
  const settings = {
    ...(o.nodeAptProxy === undefined ? {} : { aptProxyUrl: o.nodeAptProxy }),
    ...(syslog ? { syslog: { host: syslog[1]!, port: Number(syslog[2]) } } : {}),
    ...(o.nodePuppetServer === undefined ? {} : { puppetServer: o.nodePuppetServer }),
    ...(o.nodeSshKeys === undefined ? {} : { sshKeys: o.nodeSshKeys }),
    github: { baseUrl: o.githubApiUrl!, ...(token ? { token } : {}) },
    ...(o.puppetRepository === undefined ? {} : { puppetEnvironments: { repository: o.puppetRepository, branchPattern: o.puppetBranches!, codeDir: o.puppetCodeDir! } }),
    refreshSeconds: Math.max(10, parseWholeNumber("--github-refresh-seconds", o.githubRefreshSeconds!)),
  };
  // Check everything now, so a bad value stops serve before it starts rather than at the first launch.
  renderVendorData({ ...(settings.aptProxyUrl ? { aptProxyUrl: settings.aptProxyUrl } : {}), ...(settings.puppetServer ? { puppetServer: settings.puppetServer } : {}) });
  // Loaded only here: Octokit is not worth loading for every other command.
  const [{ parseSshKeyEntries }, { parseRepository }] = await Promise.all([import("../../github/ssh-key-import.ts"), import("../../github/environment-sync.ts")]);
  if (settings.sshKeys !== undefined) parseSshKeyEntries(settings.sshKeys);
  if (o.puppetRepository !== undefined) parseRepository(o.puppetRepository);
  return settings;
}

/** Which certificate serve uses, if any: the operator's files, the site CA's, or none (plain HTTP). */
function checkTlsOptions(o: Record<string, unknown>, dashboard: boolean): "files" | "site-ca" | undefined {
  if ((o.tlsCert === undefined) !== (o.tlsKey === undefined)) throw new OrchestraError("INVALID_ARGUMENT", "--tls-cert and --tls-key go together: give both or neither");
  if (o.tlsCert !== undefined && o.tlsSiteCa) throw new OrchestraError("INVALID_ARGUMENT", "give --tls-cert/--tls-key or --tls-site-ca, not both");
  const choice = o.tlsCert !== undefined ? "files" : o.tlsSiteCa ? "site-ca" : undefined;
  if (o.dashboardHttpRedirect !== undefined && (!choice || !dashboard)) throw new OrchestraError("INVALID_ARGUMENT", "--dashboard-http-redirect needs HTTPS (--tls-cert/--tls-key or --tls-site-ca) and --dashboard-listen");
  return choice;
}

/** --tls-names as a list of DNS names and IPv4 addresses. */
function tlsNames(value: string): string[] {
  const names = value.split(",").map((n) => n.trim()).filter(Boolean);
  if (names.length === 0 || names.some((n) => !/^[A-Za-z0-9.-]{1,253}$/.test(n))) throw new OrchestraError("INVALID_ARGUMENT", `invalid --tls-names ${JSON.stringify(value)}: host names or IPv4 addresses, comma-separated`);
  return names;
}

/** The --fanout-* options checked: what deploy plans say, and how the tracker and seeders run. */
function fanoutSettings(o: Record<string, unknown>, bootListen: ListenAddress, bootUrl: string | undefined) {
  const trackerListen = o.fanoutTrackerListen === undefined ? { host: bootListen.host, port: 5249 } : parseListenAddress(String(o.fanoutTrackerListen), "--fanout-tracker-listen");
  if (trackerListen.port === 0) throw new OrchestraError("INVALID_ARGUMENT", "--fanout-tracker-listen needs a fixed port: nodes are told it in their torrents");
  checkDistinctListeners(bootListen, trackerListen, ["--boot-listen", "--fanout-tracker-listen"]);
  const trackerUrl = o.fanoutTrackerUrl === undefined ? undefined : String(o.fanoutTrackerUrl);
  if (trackerUrl !== undefined && !/^http:\/\/[A-Za-z0-9.:[\]_-]+$/.test(trackerUrl)) throw new OrchestraError("INVALID_ARGUMENT", `invalid --fanout-tracker-url ${JSON.stringify(trackerUrl)}: http://host:port`);
  const seedSeconds = parseWholeNumber("--fanout-seed-seconds", String(o.fanoutSeedSeconds));
  const stallSeconds = parseWholeNumber("--fanout-stall-seconds", String(o.fanoutStallSeconds));
  if (seedSeconds > 86400 || stallSeconds < 1 || stallSeconds > 86400) throw new OrchestraError("INVALID_ARGUMENT", "--fanout-seed-seconds is 0-86400 and --fanout-stall-seconds 1-86400");
  const seederPorts = String(o.fanoutSeederPorts);
  const ports = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(seederPorts);
  if (!ports || Number(ports[1]) < 1024 || Number(ports[2] ?? ports[1]) > 65535 || Number(ports[2] ?? ports[1]) < Number(ports[1])) throw new OrchestraError("INVALID_ARGUMENT", `invalid --fanout-seeder-ports ${JSON.stringify(seederPorts)}: a port or a range such as 6881-6999, 1024-65535`);
  const maxUpload = o.fanoutSeederMaxUpload === undefined ? undefined : parseWholeNumber("--fanout-seeder-max-upload", String(o.fanoutSeederMaxUpload));
  // The seeder announces from an address nodes can reach: the URL nodes are given for the tracker.
  const wildcard = trackerListen.host === "0.0.0.0" || trackerListen.host === "::";
  const seederTrackerUrl = trackerUrl ?? `http://${bootUrl ? new URL(bootUrl).hostname : wildcard ? "127.0.0.1" : trackerListen.host}:${trackerListen.port}`;
  return {
    deploy: { trackerPort: trackerListen.port, ...(trackerUrl ? { trackerUrl } : {}), seedSeconds, stallSeconds },
    service: {
      trackerListen,
      trackerUrl: seederTrackerUrl,
      // This very program: the tracker is `orchestra fanout tracker`, started the way serve was.
      trackerCommand: [process.execPath, ...process.execArgv, process.argv[1]!],
      seederPorts,
      ...(maxUpload ? { seederMaxUploadBytesPerSecond: maxUpload } : {}),
    },
  };
}

/** The `serve` command. */
export function serveCommand(): Command {
  const serve = new Command("serve")
    .description("run the Orchestra server: boot/metadata HTTP, background workers (Ctrl-C stops it)")
    .option("--boot-listen <host:port>", "boot, metadata and enlistment HTTP (and /healthz)", "0.0.0.0:5248")
    .option("--api-listen <host:port>", "the EC2-compatible API", "0.0.0.0:8773")
    .option("--region <name>", "the region the EC2 API presents (clients sign for it)", DEFAULT_TOPOLOGY.region)
    .option("--api-vpc-cidr <cidr>", "the provisioning network, shown to EC2 clients as the default VPC", DEFAULT_TOPOLOGY.vpcCidr)
    .option("--timeout-sweep-seconds <n>", "how often to fail machines stuck past their timeout", "10");
  return addLogOptions(serve)
    .option("--boot-socket <path>", "also serve the boot listener on this unix socket")
    .option("--api-socket <path>", "also serve the EC2 API on this unix socket")
    .option("--auto-accept", "enlisted machines become ready on their discovery report, without an operator's accept")
    .option("--vendor-data <file>", "cloud-init vendor-data every new instance gets (#cloud-config or a script; `orchestra vendor-data` renders Orchestra's client setup)")
    .option("--node-apt-proxy <url>", "managed nodes: apt goes through this proxy, e.g. http://192.0.2.1:8000")
    .option("--node-syslog <host:port>", "managed nodes: forward syslog over mutual TLS to this server, each with its own certificate from the site CA")
    .option("--node-puppet-server <host>", "managed nodes: the puppet server, enrolled with a one-time challenge (see `orchestra autosign`)")
    .option("--node-ssh-keys <list>", "managed nodes: SSH keys every node accepts: OpenSSH key lines and gh:USER entries, separated by commas or newlines")
    .option("--syslog-conf <file>", "with --node-syslog: own this rsyslog config (server certificate from the site CA, permitted peers = deployed nodes) and restart rsyslog when it changes")
    .option("--syslog-log-dir <dir>", "with --syslog-conf: one log file per sending host here", "/var/log/orchestra/hosts")
    .option("--syslog-restart-unit <unit>", "with --syslog-conf: the systemd unit restarted after a change", "rsyslog")
    .option("--puppet-repository <owner/name>", "sync puppet environments from this GitHub repository's branches")
    .option("--puppet-branches <pattern>", "which branches become environments (* matches anything)", "*")
    .option("--puppet-code-dir <dir>", "where the environments go (puppet's environmentpath)", "/etc/puppet/code/environments")
    .option("--github-api-url <url>", "GitHub's REST API (GitHub Enterprise: https://HOST/api/v3)", "https://api.github.com")
    .option("--github-token-file <file>", "a file holding the GitHub token")
    .option("--github-refresh-seconds <n>", "how often puppet environments and gh: keys are refreshed from GitHub", "300")
    .option("--erase-disks <mode>", "erase a released machine's disks before it goes back to the pool: quick (first and last 2 MiB of each disk) or full (every byte)")
    .option("--kernel-args <args>", "extra kernel arguments for every network-booted Linux, e.g. console=ttyS0")
    .option("--boot-url <url>", "the boot listener's URL as nodes reach it, put in boot scripts, deploy plans and seeds (default: --dhcp-server-address or a specific --boot-listen host, else each connection's local address; never the Host header)")
    .option("--image-base-url <url>", "where nodes fetch kernels and initrds when nginx (sendfile) serves <data dir>/images, e.g. http://192.0.2.1/images (default: this server)")
    .option("--fanout", "deployments fetch their image peer to peer (BitTorrent, aria2c in the deploy ramdisk), the server seeding it and HTTP as the fallback: see docs/deploy.md (default: off, HTTP only)")
    .option("--fanout-tracker-listen <host:port>", "with --fanout: where the tracker listens (default: the --boot-listen host, port 5249)")
    .option("--fanout-tracker-url <url>", "with --fanout: the tracker's URL as nodes reach it (default: the host nodes reach the boot listener at, the tracker's port)")
    .option("--fanout-seed-seconds <n>", "with --fanout: how long a node keeps seeding after its download, while it writes its disk", "120")
    .option("--fanout-stall-seconds <n>", "with --fanout: a node falls back to HTTP after its swarm sends nothing for this long", "30")
    .option("--fanout-seeder-ports <range>", "with --fanout: the server's seeders take a free port in this range", "6881-6999")
    .option("--fanout-seeder-max-upload <bytes/s>", "with --fanout: cap each of the server's seeders' upload (default: none)")
    .option("--dhcp-interface <name>", "run dnsmasq (DHCP+TFTP) on this interface, supervised by this process")
    .option("--dhcp-server-address <ip>", "this server's address on the provisioning network (default: the --boot-listen host)")
    .option("--dhcp-range <start-end>", "dynamic range for unknown machines, e.g. 192.0.2.100-192.0.2.200")
    .option("--dhcp-proxy <network>", "proxy-DHCP beside an existing DHCP server on this network address, instead of --dhcp-range")
    .option("--dhcp-netmask <mask>", "the provisioning network's netmask", "255.255.255.0")
    .option("--dhcp-gateway <ip>", "default gateway handed to machines")
    .option("--dhcp-domain <domain>", "DNS domain handed to machines")
    .option("--dhcp-uefi-loader <file>", "ipxe.efi or snponly.efi for x86-64 UEFI clients", "ipxe.efi")
    .option("--dnsmasq-user <user>", "user dnsmasq runs as after binding (default: dnsmasq's own)")
    .option("--http-headers-timeout <seconds>", "every listener: a request's headers must arrive within this", String(DEFAULT_CONNECTION_LIMITS.headersTimeoutMs / 1000))
    .option("--http-request-timeout <seconds>", "every listener: a whole request (headers and body) must arrive within this", String(DEFAULT_CONNECTION_LIMITS.requestTimeoutMs / 1000))
    .option("--http-idle-timeout <seconds>", "every listener: close a connection on which nothing moves for this long", String(DEFAULT_CONNECTION_LIMITS.idleTimeoutMs / 1000))
    .option("--http-keep-alive-timeout <seconds>", "every listener: how long a kept-alive connection waits for its next request", String(DEFAULT_CONNECTION_LIMITS.keepAliveTimeoutMs / 1000))
    .option("--http-max-connections-per-source <n>", "every listener: open connections one source address may hold", String(DEFAULT_CONNECTION_LIMITS.maxConnectionsPerSource))
    .option("--dashboard-listen <host:port>", "serve the web dashboard here (MAAS's UI port is 5240); log in as a user from `orchestra users create`")
    .option("--tls-cert <file>", "serve the dashboard and the EC2 API over HTTPS with this PEM certificate (chain); with --tls-key")
    .option("--tls-key <file>", "the PEM private key of --tls-cert")
    .option("--tls-site-ca", "serve the dashboard and the EC2 API over HTTPS with a certificate from the site CA (<data dir>/pki/ca.pem, made on first start): clients trust that CA (aws --ca-bundle)")
    .option("--tls-names <list>", "with --tls-site-ca: the host names and IPv4 addresses clients reach this server by, comma-separated", "localhost,127.0.0.1")
    .option("--dashboard-http-redirect <host:port>", "with HTTPS: also listen here over plain HTTP and redirect every request to the dashboard's HTTPS address")
    .option("--session-idle-seconds <n>", "a dashboard session ends after this long without a request", String(DEFAULT_SESSION_LIMITS.idleSeconds))
    .option("--session-max-seconds <n>", "a dashboard session ends this long after login, however active", String(DEFAULT_SESSION_LIMITS.absoluteSeconds))
    .action(async (_options, command: Command) => {
      const o = command.optsWithGlobals();
      const bootListen = parseListenAddress(o.bootListen, "--boot-listen");
      const apiListen = parseListenAddress(o.apiListen, "--api-listen");
      checkDistinctListeners(bootListen, apiListen);
      const logFormat = checkLogOptions(o);
      parseCidr(o.apiVpcCidr);
      if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(o.region)) throw new OrchestraError("INVALID_ARGUMENT", `invalid --region ${JSON.stringify(o.region)}: lower-case letters, digits and '-'`);
      const sweep = parseWholeNumber("--timeout-sweep-seconds", o.timeoutSweepSeconds);
      const limits = connectionLimits(o);
      const dashboardListen = o.dashboardListen === undefined ? undefined : parseListenAddress(o.dashboardListen, "--dashboard-listen");
      if (dashboardListen) {
        checkDistinctListeners(bootListen, dashboardListen, ["--boot-listen", "--dashboard-listen"]);
        checkDistinctListeners(apiListen, dashboardListen, ["--api-listen", "--dashboard-listen"]);
      }
      const tlsChoice = checkTlsOptions(o, dashboardListen !== undefined);
      const sessionLimits = { idleSeconds: Math.max(1, parseWholeNumber("--session-idle-seconds", o.sessionIdleSeconds)), absoluteSeconds: Math.max(1, parseWholeNumber("--session-max-seconds", o.sessionMaxSeconds)) };
      if (o.eraseDisks !== undefined && !(ERASE_MODES as readonly string[]).includes(o.eraseDisks)) {
        throw new OrchestraError("INVALID_ARGUMENT", `invalid --erase-disks ${JSON.stringify(o.eraseDisks)}: ${ERASE_MODES.join(" or ")}`);
      }
      const dhcp = o.dhcpInterface ? dhcpSettings(o, bootListen.host, bootListen.port) : undefined;
      const bootUrl = defaultBootUrl(o.bootUrl, dhcp?.serverAddress ?? bootListen.host, bootListen.port);
      const fanout = o.fanout === true ? fanoutSettings(o, bootListen, bootUrl) : undefined;
      const vendorData = o.vendorData === undefined ? undefined : checkVendorData(await readFile(String(o.vendorData), "utf8").catch((error: Error) => {
        throw new OrchestraError("INVALID_ARGUMENT", `cannot read --vendor-data ${JSON.stringify(o.vendorData)}: ${error.message}`);
      }), String(o.vendorData));
      const managed = await managedSettings(o);
      if (o.syslogConf !== undefined && o.nodeSyslog === undefined) throw new OrchestraError("INVALID_ARGUMENT", "--syslog-conf needs --node-syslog (the address nodes reach it at, and its port)");
      if (managed && vendorData) throw new OrchestraError("INVALID_ARGUMENT", "--vendor-data replaces Orchestra's own node setup: give it or the --node-* options, not both");
      // Loaded here, not at the top: every other command starts faster without the server.
      const [{ createServerLogger, serverLogDestination }, { startServer }, { LifecycleEngine }, { builtinPowerDrivers }, { OrchestraMetrics }, { humanLogStream }] = await Promise.all([
        import("../../server/server-logger.ts"),
        import("../../server/orchestra-server.ts"),
        import("../../engine/lifecycle-engine.ts"),
        import("../../power/registry.ts"),
        import("../../server/metrics.ts"),
        import("../../server/human-log.ts"),
      ]);
      // Every line goes through the secret redaction first, then to the terminal's text or JSON.
      const logger = createServerLogger(o.logLevel, logFormat === "text" ? humanLogStream(process.stderr) : serverLogDestination(2));
      const metrics = new OrchestraMetrics({ version: packageVersion() });
      const dataDir = dataDirFor(o, { creates: true });
      const url = databaseUrl(o);
      const db = await openStore(dataDir, url ? { databaseUrl: url } : {});
      const box = secretBox(await loadOrCreateSecretKey(join(dataDir, SECRET_KEY_FILE)));
      const credentials = new CredentialStore(db, box);
      const maasKeys = new MaasKeyStore(db, box);
      let server;
      try {
        // Loaded only for TLS: the site CA's code brings node-forge (about 2 MiB of heap).
        const tlsFiles = tlsChoice === undefined ? undefined : await import("../../server/tls-files.ts");
        const tls = tlsChoice === "files" ? await tlsFiles!.readTlsFiles(String(o.tlsCert), String(o.tlsKey)) : tlsChoice === "site-ca" ? await tlsFiles!.siteCaTlsFiles(dataDir, tlsNames(String(o.tlsNames))) : undefined;
        const syslogServer = o.syslogConf === undefined ? {} : {
          // execa only when the unit is restarted: serve does not load it at start.
          syslogServer: { db, confFile: String(o.syslogConf), logDir: String(o.syslogLogDir), restart: async () => void (await (await import("execa")).execa("systemctl", ["try-restart", String(o.syslogRestartUnit)])) },
        };
        const site = managed ? await (await import("../../managed/managed-site.ts")).openManagedSite({
          ...managed, ...syslogServer, dataDir, logger: logger.child({ service: "managed" }),
          // Nodes renew their certificate at the boot listener: its URL as they reach it, else the syslog host's address (the server's, as nodes reach it).
          ...(bootUrl ? { metadataUrl: bootUrl } : managed.syslog ? { metadataUrl: `http://${managed.syslog.host}:${bootListen.port}` } : {}),
        }) : undefined;
        const inventory = new Inventory(db);
        const drivers = builtinPowerDrivers({ logger: logger.child({ service: "power" }) });
        server = await startServer({
          inventory,
          engine: { engine: new LifecycleEngine({ inventory, drivers, logger: logger.child({ service: "engine" }), eraseOnRelease: o.eraseDisks as EraseMode | undefined, metrics }) },
          logger,
          metrics,
          bootListen,
          timeoutSweepSeconds: Math.max(1, sweep),
          dataDir,
          boot: { autoAccept: o.autoAccept === true, kernelArgs: o.kernelArgs, imageBaseUrl: imageBaseUrl(o.imageBaseUrl), ...(bootUrl ? { bootUrl } : {}), ...(fanout ? { fanout: fanout.deploy } : {}) },
          ...(fanout ? { fanout: fanout.service } : {}),
          dhcp,
          bootSocket: o.bootSocket,
          apiSocket: o.apiSocket,
          connectionLimits: limits,
          ec2: { listen: apiListen, credentials, maasKeys, topology: { region: o.region, vpcCidr: o.apiVpcCidr }, ...(vendorData ? { vendorData } : {}), ...(site ? { nodeSetup: site.nodeSetup } : {}), ...(tls ? { tls } : {}) },
          ...(dashboardListen ? {
            dashboard: {
              listen: dashboardListen,
              ...(tls ? { tls } : {}),
              ...(o.dashboardHttpRedirect ? { redirectFrom: parseListenAddress(o.dashboardHttpRedirect, "--dashboard-http-redirect") } : {}),
              services: { inventory, users: new UserStore(db, { limits: sessionLimits }), credentials, maasKeys, images: storeImageSource(dataDir), consoles: fileConsoleLogs(dataDir), limiter: new LoginLimiter(), changes: new ChangeFeed(db) },
            },
          } : {}),
          ...(site ? { jobs: site.jobs } : {}),
          ...(site?.renewNodeCertificate ? { metadata: { renewNodeCertificate: (instanceId: string, csrPem: string) => site.renewNodeCertificate!(db, instanceId, csrPem) } } : {}),
        });
      } catch (error) {
        await db.close();
        throw listenError(error, bootListen, apiListen);
      }
      const ec2 = server.addresses.ec2!;
      const scheme = tlsChoice ? "https" : "http";
      const dash = server.addresses.dashboard;
      process.stderr.write(`orchestra: serving; data in ${dataDir}; boot http://${server.addresses.boot.host}:${server.addresses.boot.port}/; ec2 ${scheme}://${ec2.host}:${ec2.port}/; maas ${scheme}://${ec2.host}:${ec2.port}/MAAS/${dash ? `; dashboard ${scheme}://${dash.host}:${dash.port}/` : ""}\n`);
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once("SIGINT", stop);
        process.once("SIGTERM", stop);
      });
      await server.close();
      await db.close();
      process.stderr.write("orchestra: stopped\n");
    });
}
