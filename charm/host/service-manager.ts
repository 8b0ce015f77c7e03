/**
 * @module charm/host/service-manager
 * Start, restart, stop and query services: systemctl where systemd runs; without it (a
 * container) the package's init script through `service`, or, for a package that ships
 * none, the daemon itself run in the foreground as a pid-file process.
 */
import { existsSync } from "node:fs";
import { isOrchestraError, OrchestraError } from "../../lib/errors.ts";
import { failureCause, type Host } from "./host.ts";
import { runningPid, startProcess, stopProcess, type ProcessFiles } from "./pid-file-process.ts";

/** A service: its unit / init script name and how to run it without either. */
export interface ServiceSpec {
  name: string;
  /** The daemon in the foreground (`rsyslogd -n`), for hosts with neither systemd nor an init script. */
  foreground?: readonly string[];
  /** Units that start the service on demand (rsyslog's syslog.socket, which journald feeds). */
  triggers?: readonly string[];
}

type Mode = "systemd" | "init-script" | "process" | "none";

/**
 * Runs systemctl for a service; when it fails, the reason is the daemon's own error line
 * from the journal (systemctl itself only says "Job for x.service failed").
 */
async function systemctl(host: Host, verb: string, service: ServiceSpec, args: readonly string[]): Promise<void> {
  try {
    await host.run(["systemctl", ...args]);
  } catch (error) {
    if (!isOrchestraError(error, "COMMAND_FAILED")) throw error;
    const journal = await host.tryRun(["journalctl", "--unit", service.name, "--lines", "40", "--no-pager", "--output", "cat"]);
    const cause = failureCause(journal.stdout) || String(error.details.reason ?? error.message);
    throw new OrchestraError("COMMAND_FAILED", `${error.message}\n${journal.stdout.trim().slice(-1000)}`, { ...error.details, reason: `failed to ${verb}: ${cause}` });
  }
}

function mode(host: Host, service: ServiceSpec): Mode {
  if (host.serviceManager === "systemd") return "systemd";
  if (existsSync(host.path(`/etc/init.d/${service.name}`))) return "init-script";
  return service.foreground ? "process" : "none";
}

function processFiles(host: Host, service: ServiceSpec): ProcessFiles {
  return { pidFile: host.path(`/run/orchestra/${service.name}.pid`), logFile: host.path(`/var/log/orchestra/${service.name}.log`) };
}

/** Whether the service is running. */
export async function serviceIsActive(host: Host, service: ServiceSpec): Promise<boolean> {
  switch (mode(host, service)) {
    case "systemd": return (await host.tryRun(["systemctl", "is-active", "--quiet", service.name])).ok;
    case "init-script": return (await host.tryRun(["service", service.name, "status"])).ok;
    case "process": return runningPid(processFiles(host, service)) !== null;
    case "none": return false;
  }
}

/** Enables and starts the service unless it runs already. */
export async function serviceEnsureStarted(host: Host, service: ServiceSpec): Promise<void> {
  switch (mode(host, service)) {
    case "systemd":
      await systemctl(host, "start", service, ["enable", "--now", service.name]);
      return;
    case "init-script":
      if (!(await serviceIsActive(host, service))) await host.run(["service", service.name, "start"]);
      return;
    case "process":
      startProcess(processFiles(host, service), service.foreground!, {});
      return;
    case "none":
      // Reported by isRunning as not running; nothing else can start it here.
      return;
  }
}

/** Restarts the service (it picks up its new configuration). */
export async function serviceRestart(host: Host, service: ServiceSpec): Promise<void> {
  switch (mode(host, service)) {
    case "systemd": await systemctl(host, "restart", service, ["restart", service.name]); return;
    case "init-script": await host.run(["service", service.name, "restart"]); return;
    case "process":
      await stopProcess(processFiles(host, service));
      startProcess(processFiles(host, service), service.foreground!, {});
      return;
    case "none": return;
  }
}

/** Reloads the service's configuration without a restart where the daemon supports it. */
export async function serviceReload(host: Host, service: ServiceSpec): Promise<void> {
  switch (mode(host, service)) {
    case "systemd": await systemctl(host, "reload", service, ["reload-or-restart", service.name]); return;
    case "init-script": await host.run(["service", service.name, "reload"]); return;
    default: await serviceRestart(host, service);
  }
}

/** Stops the service if it runs. */
export async function serviceStop(host: Host, service: ServiceSpec): Promise<void> {
  switch (mode(host, service)) {
    case "systemd": await host.run(["systemctl", "stop", service.name]); return;
    case "init-script":
      if (await serviceIsActive(host, service)) await host.run(["service", service.name, "stop"]);
      return;
    case "process": await stopProcess(processFiles(host, service)); return;
    case "none": return;
  }
}

/**
 * Stops the service and keeps it from coming back after a reboot (systemctl disable --now,
 * and its triggers stopped); without systemd, stops it (nothing starts it at boot there).
 */
export async function serviceDisable(host: Host, service: ServiceSpec): Promise<void> {
  if (mode(host, service) !== "systemd") {
    await serviceStop(host, service);
    return;
  }
  await host.run(["systemctl", "disable", "--now", service.name]);
  for (const trigger of service.triggers ?? []) await host.run(["systemctl", "stop", trigger]);
}

/**
 * Gives a service the machine had before the charm back to the machine: restarted on its own
 * configuration where the system runs it (systemd, an init script); a daemon the charm ran
 * itself as a pid-file process is stopped, since nothing else would ever stop it.
 */
export async function serviceHandBack(host: Host, service: ServiceSpec): Promise<void> {
  const how = mode(host, service);
  if (how === "process") await serviceStop(host, service);
  else if (how !== "none" && (await serviceIsActive(host, service))) await serviceRestart(host, service);
}

/** Tells systemd its unit files changed; nothing to do elsewhere. */
export async function serviceDaemonReload(host: Host): Promise<void> {
  if (host.serviceManager === "systemd") await host.run(["systemctl", "daemon-reload"]);
}
