/**
 * @module charm/reconcile
 * The one holistic step every hook runs (Juju may deliver hooks in any order, so each run
 * brings the whole unit to where config and relations say it should be): read config and
 * relation inputs, then for each component install → ensureConfig → reload if changed →
 * ensure running, then publish on the relations and match the open ports.
 */
import { isOrchestraError } from "../lib/errors.ts";
import { closePort, configGet, ingressAddress, jujuLog, openedPorts, openPort } from "../lib/hookenv/index.ts";
import { parseCharmConfig } from "./config/charm-config.ts";
import { modelProxyEnvironment } from "./host/proxy.ts";
import { DATA_DIR, type HookContext } from "./hook-context.ts";
import { reconcileCluster } from "./relations/cluster.ts";
import { readAptProxyClients } from "./relations/apt-proxy.ts";
import { readDatabase } from "./relations/database.ts";
import { provisioningAddress } from "./relations/provisioning-binding.ts";
import { loadSealingKey } from "./secrets/sealing-key.ts";
import { loadSiteCa } from "./secrets/site-ca.ts";
import { loadWebdavCredentials } from "./secrets/webdav-credentials.ts";
import { reconcileEc2Api } from "./relations/ec2-api.ts";
import { reconcileMetricsEndpoint } from "./relations/metrics-endpoint.ts";
import { reconcileSimpleProviders } from "./relations/simple-providers.ts";
import { checkSyslogRelations, reconcileSyslog, tlsClientApplications, wantsPlainSyslog } from "./relations/syslog.ts";
import { reconcileWebdavStorage } from "./relations/webdav-storage.ts";
import { dhcpModeHere } from "./workloads/dnsmasq.ts";
import { listMachines, openInstanceIds } from "./workloads/orchestra-cli.ts";
import { workloadsFor, workloadsNotIn } from "./workloads/registry.ts";
import type { Workload, WorkloadSettings } from "./workloads/workload.ts";

/** Reads and validates config; on problems records them and leaves ctx.config null. */
export async function loadConfig(ctx: HookContext): Promise<void> {
  const parsed = parseCharmConfig(await configGet());
  if (parsed.ok) ctx.config = parsed.config;
  else ctx.facts.blocked.push(`fix config: ${parsed.problems.join("; ")}`);
}

/**
 * The open instances, whose node certificates the charm's rsyslog honours: every hook
 * (update-status included, every 5 minutes by default) brings the list in line, so a
 * terminated node's certificate stops working at the next hook. null when the CLI fails
 * (a first install before the store exists): rsyslog keeps the list it has.
 */
async function syslogPeers(ctx: HookContext, settings: WorkloadSettings): Promise<string[] | null> {
  try {
    // Related TLS clients hold certificates naming their application: permitted beside nodes.
    ctx.machines = await listMachines(ctx.host, settings);
    return [...openInstanceIds(ctx.machines), ...(await tlsClientApplications())];
  } catch (error) {
    if (!isOrchestraError(error)) throw error;
    await jujuLog(`rsyslog: the open instances are unknown (${error.message}); the permitted peers stay as they are`, "WARNING");
    return null;
  }
}

/** Builds the workload settings from config and the relation inputs. */
export async function loadSettings(ctx: HookContext): Promise<void> {
  if (ctx.config === null) return;
  const address = await provisioningAddress(ctx, ctx.config);
  if (address === null) return;
  const settings: WorkloadSettings = {
    config: ctx.config,
    address,
    dataDir: DATA_DIR,
    databaseUrl: null,
    runtime: ctx.runtime,
    webdavCredentials: null,
    sealingKey: null,
    leader: ctx.leader,
    proxy: modelProxyEnvironment(),
    aptProxyClients: [],
    syslogPlain: false,
    syslogPeers: null,
  };
  settings.sealingKey = await loadSealingKey(ctx, DATA_DIR);
  await loadSiteCa(ctx, DATA_DIR);
  // What related applications sent: a malformed value blocks, and then no file is written
  // (the services stay on their last good configuration), as with invalid config.
  const problemsBefore = ctx.facts.blocked.length;
  settings.databaseUrl = await readDatabase(ctx);
  settings.aptProxyClients = (await readAptProxyClients(ctx)) ?? [];
  await checkSyslogRelations(ctx);
  if (ctx.facts.blocked.length > problemsBefore) return;
  settings.syslogPlain = await wantsPlainSyslog(ctx, ctx.config);
  if (ctx.config.components.includes("rsyslog")) {
    settings.syslogAddress = await ingressAddress("syslog");
    settings.syslogPeers = await syslogPeers(ctx, settings);
  }
  if (ctx.config.components.includes("nginx")) settings.webdavCredentials = await loadWebdavCredentials(ctx);
  ctx.settings = settings;
}

/** One component's reconcile step; a failure is reported in the status, not thrown. */
async function reconcileWorkload(ctx: HookContext, workload: Workload, settings: WorkloadSettings): Promise<void> {
  try {
    await workload.install(ctx.host, settings);
    const changed = await workload.ensureConfig(ctx.host, settings);
    if (changed && (await workload.isRunning(ctx.host))) await workload.reload(ctx.host);
    await workload.ensureStarted(ctx.host, settings);
    if (!(await workload.isRunning(ctx.host))) ctx.facts.stopped.push(workload.name);
  } catch (error) {
    // A failed command, a missing boot file: the operator's to fix, so blocked, not an error.
    if (!isOrchestraError(error)) throw error;
    await jujuLog(`${workload.name}: ${error.message}`, "ERROR");
    // The reason is the line that says why (the daemon's, apt's), not the command's first words.
    const reason = typeof error.details.reason === "string" ? error.details.reason : error.message;
    ctx.facts.blocked.push(`${workload.name}: ${reason.slice(0, 300)}`);
  }
}

/**
 * A component taken out of the list: undone as the stop hook undoes it (files removed,
 * what the charm installed disabled), once; a failure is reported in the status.
 */
async function dropWorkload(ctx: HookContext, workload: Workload): Promise<void> {
  try {
    if (!(await workload.isSetUp?.(ctx.host))) return;
    await jujuLog(`${workload.name} is no longer in components: tearing it down`, "INFO");
    await workload.teardown(ctx.host);
  } catch (error) {
    if (!isOrchestraError(error)) throw error;
    await jujuLog(`${workload.name}: ${error.message}`, "ERROR");
    ctx.facts.blocked.push(`${workload.name}: could not be removed from this unit (${error.message.slice(0, 200)})`);
  }
}

/** Opens the ports the running components serve and closes the others. */
async function reconcilePorts(wanted: readonly string[]): Promise<void> {
  const open = await openedPorts();
  for (const port of wanted) if (!open.includes(port)) await openPort(port);
  for (const port of open) if (!wanted.includes(port)) await closePort(port);
}

/** The whole reconcile: config, inputs, workloads, relations, ports. */
export async function reconcile(ctx: HookContext): Promise<void> {
  await loadConfig(ctx);
  await loadSettings(ctx);
  const settings = ctx.settings;
  if (settings === null) return;
  const workloads = workloadsFor(settings.config.components);
  if (settings.config.components.includes("dnsmasq") && dhcpModeHere(settings) !== settings.config.dhcpMode) {
    ctx.facts.notes.push("DHCP (full mode) runs on the leader; this unit serves TFTP");
  }
  for (const workload of workloadsNotIn(settings.config.components)) await dropWorkload(ctx, workload);
  for (const workload of workloads) await reconcileWorkload(ctx, workload, settings);
  await reconcileEc2Api(ctx);
  await reconcileSimpleProviders(ctx);
  await reconcileWebdavStorage(ctx);
  await reconcileSyslog(ctx);
  await reconcileMetricsEndpoint(ctx);
  await reconcileCluster(ctx);
  await reconcilePorts(workloads.flatMap((w) => w.ports(settings.config, settings)));
}
