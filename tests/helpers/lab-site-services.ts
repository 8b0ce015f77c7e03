/**
 * The site's services for a lab end-to-end test, each run for real inside the lab's network
 * namespace, where the VMs reach them on the server's address (192.0.2.1), and configured by
 * the renderers the charm uses:
 * - squid as the apt proxy (charm/render/squid-conf.ts);
 * - puppetserver (Debian's package, its JVM with a small heap), with the charm's puppet.conf
 *   (charm/render/puppet-conf.ts), signing through Orchestra's autosign policy executable
 *   (lib/puppet/autosign-script.ts);
 * - host-side HTTP servers (the GitHub stand-in, a local apt repository) published inside the
 *   namespace on its own loopback by `orchestra lab relay`, so only processes in the lab's
 *   namespace (serve, squid) reach them; a VM does not.
 * Every process is started here and stopped by its pid; files live under the test's data dir.
 */
import { chownSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { createServer, type RequestListener, type Server } from "node:http";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { execa, type ResultPromise } from "execa";
import { renderPuppetConf } from "../../charm/render/puppet-conf.ts";
import { renderSquidConf } from "../../charm/render/squid-conf.ts";
import { renderAutosignScript } from "../../lib/puppet/autosign-script.ts";

const CLI = join(import.meta.dirname, "../../lib/cli/main.ts");

/** A process started in the namespace, with a way to stop it. */
export interface LabService {
  readonly name: string;
  readonly process: ResultPromise;
  readonly logFile: string;
  readonly exited: boolean;
  stop(): Promise<void>;
}

function startInNamespace(namespace: string, name: string, argv: readonly string[], logFile: string, options: { cwd?: string; env?: Record<string, string> } = {}): LabService {
  writeFileSync(logFile, "", { flag: "a" });
  const child = execa("ip", ["netns", "exec", namespace, ...argv], { reject: false, stdin: "ignore", stdout: { file: logFile, append: true } as never, stderr: { file: logFile, append: true } as never, ...options });
  let exited = false;
  void child.then(() => (exited = true));
  return {
    get exited() {
      return exited;
    },
    name,
    process: child,
    logFile,
    async stop() {
      if (exited || child.pid === undefined) return;
      child.kill("SIGTERM");
      const killer = setTimeout(() => child.kill("SIGKILL"), 15_000);
      await child;
      clearTimeout(killer);
    },
  };
}

async function waitUntil(what: string, service: LabService, timeoutMs: number, check: () => Promise<boolean> | boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    if (service.exited) break;
    await sleep(500);
  }
  const log = existsSync(service.logFile) ? readFileSync(service.logFile, "utf8").slice(-3000) : "";
  throw new Error(`${service.name}: ${what} did not happen\n${log}`);
}

/** Whether something in `namespace` accepts TCP connections on host:port. */
async function listening(namespace: string, host: string, port: number): Promise<boolean> {
  const probe = await execa("ip", ["netns", "exec", namespace, "bash", "-c", `exec 3<>/dev/tcp/${host}/${port}`], { reject: false, timeout: 5000 });
  return probe.exitCode === 0;
}

/**
 * Serve `handler` (or an existing server) on a unix socket under `dir`, and publish it in the
 * namespace on 127.0.0.1:`port` through `orchestra lab relay`. Answers the URL seen there.
 */
export async function publishInNamespace(namespace: string, dir: string, name: string, port: number, handler: RequestListener | Server): Promise<{ url: string; stop(): Promise<void> }> {
  const socket = join(dir, `${name}.sock`);
  const server = typeof handler === "function" ? createServer(handler) : handler;
  await new Promise<void>((resolve, reject) => server.once("error", reject).listen(socket, resolve));
  const relay = startInNamespace(namespace, `${name} relay`, [process.execPath, CLI, "lab", "relay", "--socket", socket, "--port", String(port), "--port-file", join(dir, `${name}.port`)], join(dir, `${name}-relay.log`));
  await waitUntil("the relay listening", relay, 30_000, () => existsSync(join(dir, `${name}.port`)));
  return {
    url: `http://127.0.0.1:${port}`,
    async stop() {
      await relay.stop();
      server.closeAllConnections?.();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * squid as the site's apt proxy, from the charm's renderer, listening on address:port. squid
 * drops to Debian's `proxy` user, so its files live in a directory of their own that user
 * owns (a test's data dir is root's alone), removed when it stops.
 */
export async function startSquid(namespace: string, input: { address: string; port: number; subnet: { network: string; prefix: number } }): Promise<LabService & { accessLog: string }> {
  const root = mkdtempSync(join(tmpdir(), "orchestra-e2e-squid-"));
  const { uid, gid } = statSync("/var/spool/squid");
  chownSync(root, uid, gid);
  const dropIn = join(root, "orchestra.conf");
  writeFileSync(dropIn, renderSquidConf({ aptProxyPort: input.port, listenAddress: input.address, provisioningSubnet: input.subnet, aptProxyClients: [] } as Parameters<typeof renderSquidConf>[0]));
  const accessLog = join(root, "access.log");
  // The rest of what Debian's squid.conf would give, with every path under the test's dir.
  const main = join(root, "squid.conf");
  writeFileSync(main, [
    `include ${dropIn}`,
    "http_access deny all",
    `pid_filename ${join(root, "squid.pid")}`,
    `access_log stdio:${accessLog}`,
    `cache_log ${join(root, "cache.log")}`,
    `cache_store_log none`,
    `coredump_dir ${root}`,
    // Nothing answers DNS in the lab's namespace: fail a name at once rather than after 30 s.
    "dns_nameservers 127.0.0.1",
    "",
  ].join("\n"));
  // A service name of its own: squid names its shared memory segments (/dev/shm) after it, and
  // another squid on this host (another test's, a unit's) has the default one.
  const service = startInNamespace(namespace, "squid", ["squid", "-N", "-n", `orchestrae2e${process.pid}`, "-f", main], join(root, "squid.log"));
  const stop = service.stop;
  const stopAndRemove = async () => {
    await stop();
    rmSync(root, { recursive: true, force: true });
  };
  await waitUntil("squid listening", service, 60_000, () => listening(namespace, input.address, input.port)).catch(async (error: Error) => {
    await stopAndRemove();
    throw error;
  });
  return Object.assign(service, { accessLog, stop: stopAndRemove });
}

/** Where puppetserver keeps its configuration, code and state in a test. */
export interface PuppetserverPaths {
  readonly root: string;
  readonly codeDir: string;
  readonly environmentsDir: string;
}

/** The paths for a puppetserver under `dir`. */
export function puppetserverPaths(dir: string): PuppetserverPaths {
  const root = join(dir, "puppetserver");
  return { root, codeDir: join(root, "code"), environmentsDir: join(root, "code", "environments") };
}

/**
 * Debian's puppetserver in the namespace on address:8140, its certificate naming `address`,
 * autosigning through Orchestra's policy executable against `dataDir`'s store. Its JVM gets a
 * small heap and one JRuby: a test host has 2 cores shared with qemu.
 */
export async function startPuppetserver(namespace: string, dir: string, input: { address: string; dataDir: string }): Promise<LabService> {
  const paths = puppetserverPaths(dir);
  const { root } = paths;
  for (const sub of ["conf.d", "puppet", "var", "run", "log", "gems", "ssl", "ca"]) mkdirSync(join(root, sub), { recursive: true });
  mkdirSync(paths.environmentsDir, { recursive: true });
  const autosign = join(root, "autosign");
  writeFileSync(autosign, renderAutosignScript({ orchestra: [process.execPath, CLI], dataDir: input.dataDir }), { mode: 0o755 });
  // The charm's puppet.conf (server name, its certificate's alt name, environmentpath, the
  // autosign policy), with the paths a test keeps under its own directory added.
  const charmConf = renderPuppetConf({ serverName: input.address, autosignPolicy: autosign, environmentPath: paths.environmentsDir });
  writeFileSync(join(root, "puppet", "puppet.conf"), charmConf
    .replace("[main]\n", `[main]\nssldir = ${join(root, "ssl")}\ncodedir = ${paths.codeDir}\n`)
    .replace("[server]\n", `[server]\ncadir = ${join(root, "ca")}\nvardir = ${join(root, "var")}\nlogdir = ${join(root, "log")}\nrundir = ${join(root, "run")}\n`));
  const conf = join(root, "conf.d");
  for (const file of ["auth.conf", "ca.conf", "metrics.conf", "web-routes.conf"]) copyFileSync(join("/etc/puppet/puppetserver/conf.d", file), join(conf, file));
  writeFileSync(join(conf, "puppetserver.conf"), [
    "jruby-puppet: {",
    "  ruby-load-path: [/usr/lib/puppetserver/ruby/vendor_ruby]",
    `  gem-home: ${join(root, "gems")}`,
    '  gem-path: [${jruby-puppet.gem-home}, "/usr/lib/puppetserver/vendored-jruby-gems"]',
    `  server-conf-dir: ${join(root, "puppet")}`,
    `  server-code-dir: ${paths.codeDir}`,
    `  server-var-dir: ${join(root, "var")}`,
    `  server-run-dir: ${join(root, "run")}`,
    `  server-log-dir: ${join(root, "log")}`,
    "  max-active-instances: 1",
    "}",
    "http-client: {}",
    "profiler: {}",
    "",
  ].join("\n"));
  writeFileSync(join(conf, "webserver.conf"), `webserver: {\n  client-auth: want\n  ssl-host: ${input.address}\n  ssl-port: 8140\n}\n`);
  const logback = join(root, "logback.xml");
  writeFileSync(logback, [
    "<configuration>",
    '  <appender name="STDOUT" class="ch.qos.logback.core.ConsoleAppender"><encoder><pattern>%d %-5p [%c{2}] %m%n</pattern></encoder></appender>',
    '  <root level="info"><appender-ref ref="STDOUT"/></root>',
    "</configuration>",
    "",
  ].join("\n"));
  writeFileSync(join(conf, "global.conf"), `global: {\n  logging-config: ${logback}\n}\n`);
  const service = startInNamespace(namespace, "puppetserver", [
    "/usr/bin/java", "-Xms256m", "-Xmx640m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
    "-Djruby.logger.class=com.puppetlabs.jruby_utils.jruby.Slf4jLogger", "-Djruby.lib=/usr/share/jruby/lib",
    "-jar", "/usr/share/puppetserver/puppetserver.jar",
    "--config", conf, "--bootstrap-config", "/etc/puppet/puppetserver/services.d",
  ], join(root, "puppetserver.log"), { cwd: "/usr/share/puppetserver" });
  return service;
}

/** Wait for puppetserver to answer on address:8140 (its JVM takes 3 minutes on an idle 2-core host, far more on a busy one). */
export async function waitForPuppetserver(namespace: string, service: LabService, address: string, timeoutMs = 900_000): Promise<void> {
  await waitUntil("puppetserver started", service, timeoutMs, () => readFileSync(service.logFile, "utf8").includes("Puppet Server has successfully started"));
  await waitUntil("puppetserver listening", service, 30_000, () => listening(namespace, address, 8140));
}
