/**
 * @module charm/host/service-manager
 * Start, restart, stop and query services: systemctl where systemd runs, else Debian's
 * `service` (init scripts) so the charm also works in a container without systemd.
 */
import type { Host } from "./host.ts";

/** Whether the service is running. */
export async function serviceIsActive(host: Host, name: string): Promise<boolean> {
  return host.serviceManager === "systemd"
    ? (await host.tryRun(["systemctl", "is-active", "--quiet", name])).ok
    : (await host.tryRun(["service", name, "status"])).ok;
}

/** Enables and starts the service unless it runs already. */
export async function serviceEnsureStarted(host: Host, name: string): Promise<void> {
  if (host.serviceManager === "systemd") {
    await host.run(["systemctl", "enable", "--now", name]);
  } else if (!(await serviceIsActive(host, name))) {
    await host.run(["service", name, "start"]);
  }
}

/** Restarts the service (it picks up its new configuration). */
export async function serviceRestart(host: Host, name: string): Promise<void> {
  await host.run(host.serviceManager === "systemd" ? ["systemctl", "restart", name] : ["service", name, "restart"]);
}

/** Reloads the service's configuration without a restart, where the daemon supports it. */
export async function serviceReload(host: Host, name: string): Promise<void> {
  await host.run(host.serviceManager === "systemd" ? ["systemctl", "reload-or-restart", name] : ["service", name, "reload"]);
}

/** Stops the service if it runs. */
export async function serviceStop(host: Host, name: string): Promise<void> {
  if (host.serviceManager === "systemd") await host.run(["systemctl", "stop", name]);
  else if (await serviceIsActive(host, name)) await host.run(["service", name, "stop"]);
}

/** Tells systemd its unit files changed; nothing to do elsewhere. */
export async function serviceDaemonReload(host: Host): Promise<void> {
  if (host.serviceManager === "systemd") await host.run(["systemctl", "daemon-reload"]);
}
