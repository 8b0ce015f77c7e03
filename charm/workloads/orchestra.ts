/**
 * @module charm/workloads/orchestra
 * The orchestra service itself: `orchestra serve` from the charm's bundled code, with its
 * state under /var/lib/orchestra, under systemd or (without it) as a pid-file process.
 */
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { SECRET_KEY_FILE } from "../../lib/ec2/credentials/secret-box.ts";
import { siteCaPaths } from "../../lib/pki/site-ca.ts";
import { DATABASE_FILE } from "../../lib/store/open-store.ts";
import { ensureDirectory, keepPrivate } from "../host/file-access.ts";
import type { Host } from "../host/host.ts";
import { serviceDaemonReload, serviceDisable, serviceEnsureStarted, serviceIsActive, serviceRestart } from "../host/service-manager.ts";
import { removeFile, writeFileAtomic } from "../host/write-file-atomic.ts";
import { orchestraEnvironment, orchestraServeArgv, renderOrchestraEnv, renderOrchestraUnit, type OrchestraServiceInput } from "../render/orchestra-service.ts";
import { runningPid, startProcess, stopProcess, type ProcessFiles } from "../host/pid-file-process.ts";
import type { Workload, WorkloadSettings } from "./workload.ts";
import { renderVendorData } from "../../lib/metadata/vendor-data.ts";
import { SYSLOG_TLS_PORT } from "./rsyslog.ts";
import { PUPPET_CODE_DIR } from "./puppetserver.ts";

const SERVICE = "orchestra";
const ENV_FILE = "/etc/orchestra/orchestra.env";
const UNIT_FILE = "/etc/systemd/system/orchestra.service";
const VENDOR_DATA_FILE = "/etc/orchestra/vendor-data.yaml";
const OPT = "/opt/orchestra";

function processFiles(host: Host): ProcessFiles {
  return { pidFile: host.path("/run/orchestra/orchestra.pid"), logFile: host.path("/var/log/orchestra/orchestra.log") };
}

/** The node and entry the service runs: copies under /opt/orchestra for a packed charm. */
export function serviceRuntime(host: Host, settings: WorkloadSettings): { node: string; entry: string } {
  if (!settings.runtime.packed) return settings.runtime;
  return { node: host.path(`${OPT}/bin/node`), entry: host.path(`${OPT}/orchestra.js`) };
}

/**
 * The flags `orchestra serve --help` lists, cached per build of the entry so a hook does
 * not start the CLI every time.
 */
async function serveFlags(host: Host, settings: WorkloadSettings, runtime: { node: string; entry: string }): Promise<Set<string>> {
  const cacheFile = host.path(`${settings.dataDir}/charm/serve-flags.json`);
  const stat = existsSync(runtime.entry) ? statSync(runtime.entry) : null;
  const key = stat ? `${runtime.entry}:${stat.size}:${stat.mtimeMs}` : runtime.entry;
  if (existsSync(cacheFile)) {
    const cached = JSON.parse(readFileSync(cacheFile, "utf8")) as { key: string; flags: string[] };
    if (cached.key === key) return new Set(cached.flags);
  }
  const help = await host.tryRun([runtime.node, runtime.entry, "serve", "--help"]);
  const flags = help.ok ? [...new Set(help.stdout.match(/--[a-z][a-z0-9-]*/g) ?? [])] : [];
  writeFileAtomic(cacheFile, JSON.stringify({ key, flags }));
  return new Set(flags);
}

/**
 * The vendor-data for deployed nodes from the components this unit runs: squid as their apt
 * proxy. (TLS syslog is left out: its CA appears only once the rsyslog component has run,
 * after this one, so a hook would not converge; `orchestra vendor-data --syslog` renders it
 * for a hand-made file.) Empty when squid does not run.
 */
function vendorDataFor(settings: WorkloadSettings): string {
  const { components, aptProxyPort } = settings.config;
  if (!components.includes("squid")) return "";
  try {
    return renderVendorData({ aptProxyUrl: `http://${settings.address}:${aptProxyPort}` });
  } catch {
    // An address vendor-data cannot carry leaves nodes without it rather than failing the hook.
    return "";
  }
}

/** Where the GitHub token is kept for the service (root's, 0600), never on its command line. */
const GITHUB_TOKEN_FILE = "/etc/orchestra/github-token";

/** What deployed nodes are pointed at: the components this unit runs, at this unit's address. */
function managedNodes(host: Host, settings: WorkloadSettings): NonNullable<OrchestraServiceInput["managed"]> {
  const { components, aptProxyPort } = settings.config;
  return {
    ...(components.includes("squid") ? { aptProxyUrl: `http://${settings.address}:${aptProxyPort}` } : {}),
    ...(components.includes("rsyslog") ? { syslog: `${settings.address}:${SYSLOG_TLS_PORT}` } : {}),
    ...(components.includes("puppetserver") ? { puppetServer: settings.address } : {}),
    ...(settings.config.githubToken !== "" ? { githubTokenFile: host.path(GITHUB_TOKEN_FILE) } : {}),
    puppetCodeDir: host.path(PUPPET_CODE_DIR),
  };
}

async function serviceInput(host: Host, settings: WorkloadSettings): Promise<OrchestraServiceInput> {
  const runtime = serviceRuntime(host, settings);
  return {
    managed: managedNodes(host, settings),
    config: settings.config,
    dataDir: host.path(settings.dataDir),
    databaseUrl: settings.databaseUrl,
    runtime,
    serveFlags: await serveFlags(host, settings, runtime),
    imageBaseUrl: settings.config.components.includes("nginx") ? `http://${settings.address}/images` : null,
    proxy: settings.proxy,
  };
}

/** The files under the data directory no daemon but the orchestra service may read. */
export function privateFiles(dataDir: string): string[] {
  return [SECRET_KEY_FILE, DATABASE_FILE, `${DATABASE_FILE}-wal`, `${DATABASE_FILE}-shm`].map((f) => `${dataDir}/${f}`);
}

/**
 * The key EC2 secret keys are sealed with, made here (0600, never replaced) rather than by
 * the service's first start, so the leader can share it before any credential exists.
 */
export function ensureSealingKey(host: Host, dataDir: string): void {
  const path = host.path(`${dataDir}/${SECRET_KEY_FILE}`);
  if (!existsSync(path)) writeFileAtomic(path, randomBytes(32), 0o600);
}

/** The orchestra service component. */
export const orchestra: Workload = {
  name: "orchestra",
  ports: (config) => [`${config.ec2Port}/tcp`, `${config.bootPort}/tcp`],
  async install(host, settings) {
    // 0711: daemons that drop root may pass through to the directories they serve (each
    // with its own owner or group) but may not list it; the secrets in it are root's (0600).
    await ensureDirectory(host, settings.dataDir, { mode: 0o711 });
    await ensureDirectory(host, `${settings.dataDir}/charm`, { mode: 0o700 });
    mkdirSync(host.path("/var/log/orchestra"), { recursive: true });
    ensureSealingKey(host, settings.dataDir);
    // A store made before this revision (or by the CLI, under root's umask 022) is closed again.
    await keepPrivate(host, privateFiles(settings.dataDir));
  },
  async ensureConfig(host, settings) {
    let changed = false;
    if (settings.runtime.packed) {
      // A new charm revision brings a new bundle: copying it is what restarts the service.
      changed = writeFileAtomic(host.path(`${OPT}/bin/node`), readFileSync(settings.runtime.node), 0o755) || changed;
      changed = writeFileAtomic(host.path(`${OPT}/orchestra.js`), readFileSync(settings.runtime.entry), 0o644) || changed;
    }
    // The leader's key replaces this unit's own: the service must restart to seal with it.
    if (settings.sealingKey !== null) changed = writeFileAtomic(host.path(`${settings.dataDir}/${SECRET_KEY_FILE}`), settings.sealingKey, 0o600) || changed;
    // `serve` reads the site CA only at start. A follower adopting the leader's CA (charm/secrets/
    // site-ca.ts, written before any workload) must restart it, or it keeps signing node
    // certificates with the CA it made itself. The CA the service last started with is recorded
    // here rather than passed from that step, so a hook that failed after writing the CA still
    // restarts the service on the next one.
    const caFile = host.path(siteCaPaths(settings.dataDir).certFile);
    if (existsSync(caFile)) {
      const fingerprint = createHash("sha256").update(readFileSync(caFile)).digest("hex");
      changed = writeFileAtomic(host.path(`${settings.dataDir}/charm/serve-site-ca.sha256`), `${fingerprint}\n`, 0o600) || changed;
    }
    let input = await serviceInput(host, settings);
    if (settings.config.githubToken !== "") changed = writeFileAtomic(host.path(GITHUB_TOKEN_FILE), `${settings.config.githubToken}\n`, 0o600) || changed;
    const vendorData = input.serveFlags.has("--vendor-data") && !input.serveFlags.has("--node-syslog") ? vendorDataFor(settings) : "";
    if (vendorData) {
      changed = writeFileAtomic(host.path(VENDOR_DATA_FILE), vendorData, 0o644) || changed;
      input = { ...input, vendorDataFile: host.path(VENDOR_DATA_FILE) };
    }
    changed = writeFileAtomic(host.path(ENV_FILE), renderOrchestraEnv(input), 0o600) || changed;
    // Written without systemd too: it records the argv, so a change of flags is a change.
    const unitChanged = writeFileAtomic(host.path(UNIT_FILE), renderOrchestraUnit(input, ENV_FILE));
    if (unitChanged) await serviceDaemonReload(host);
    return changed || unitChanged;
  },
  async reload(host) {
    if (host.serviceManager === "systemd") {
      await serviceRestart(host, { name: SERVICE });
    } else {
      // Direct mode has no unit to restart: stop by pid; ensureStarted starts the new argv.
      await stopProcess(processFiles(host));
    }
  },
  async ensureStarted(host, settings) {
    if (host.serviceManager === "systemd") {
      await serviceEnsureStarted(host, { name: SERVICE });
      return;
    }
    const input = await serviceInput(host, settings);
    startProcess(processFiles(host), [input.runtime.node, ...orchestraServeArgv(input)], orchestraEnvironment(input));
  },
  async isRunning(host) {
    return host.serviceManager === "systemd" ? serviceIsActive(host, { name: SERVICE }) : runningPid(processFiles(host)) !== null;
  },
  async teardown(host) {
    if (host.serviceManager !== "systemd") {
      await stopProcess(processFiles(host));
    } else if (existsSync(host.path(UNIT_FILE))) {
      await serviceDisable(host, { name: SERVICE });
      removeFile(host.path(UNIT_FILE));
      await serviceDaemonReload(host);
    }
    // Its configuration holds the database password and the GitHub token: nothing of it
    // stays on a kept machine, nor the runtime only it ran. (The data directory stays.)
    rmSync(host.path("/etc/orchestra"), { recursive: true, force: true });
    rmSync(host.path(OPT), { recursive: true, force: true });
  },
};
