/**
 * @module charm/workloads/packaged-service
 * The one recipe the Debian-packaged components share: install packages, write config
 * files atomically, let the daemon check them (and put the old ones back if it refuses),
 * then reload or restart. Each component's file gives only its own specifics.
 */
import { existsSync, readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { OrchestraError } from "../../lib/errors.ts";
import type { CharmConfig, Component } from "../config/charm-config.ts";
import { ensurePackages, installedByCharm } from "../host/apt.ts";
import { setAccess } from "../host/file-access.ts";
import { failureCause, type Host } from "../host/host.ts";
import { serviceDisable, serviceEnsureStarted, serviceHandBack, serviceIsActive, serviceReload, serviceRestart, type ServiceSpec } from "../host/service-manager.ts";
import { removeFile, writeFileAtomic } from "../host/write-file-atomic.ts";
import type { Workload, WorkloadSettings } from "./workload.ts";

/** A config file a component owns. */
export interface ManagedFile {
  /** The absolute path on the host (taken under host.root). */
  path: string;
  content: string | Buffer;
  mode?: number;
  /** The group that may read it (a daemon's, for a key it must open after dropping root). */
  group?: string;
}

/** What makes one packaged component different from the next. */
export interface PackagedServiceSpec {
  name: Component;
  /** The systemd unit / init script name, and the daemon in the foreground for hosts with neither. */
  service: ServiceSpec;
  /** The service's own package first (teardown decides by it), then what it needs beside. */
  packages: readonly string[];
  ports(config: CharmConfig, settings?: WorkloadSettings): string[];
  files(host: Host, settings: WorkloadSettings): ManagedFile[];
  /** The daemon's own config check, run after writing (`nginx -t`); non-zero restores the old files. */
  check?: readonly string[];
  /** Whether the daemon re-reads its config on reload; otherwise it is restarted. */
  reloadable: boolean;
  /** A change a reload cannot apply (a new listen address: nginx fails to rebind yet exits 0): restart instead. */
  needsRestart?(before: string, after: string): boolean;
  /** The TCP `address:port`s it must listen on once started, checked with `ss` (a reload can fail silently). */
  listensOn?(settings: WorkloadSettings): string[];
  /** The files that are the charm's alone (drop-ins), removed on teardown. */
  ownFiles: readonly string[];
  /** Once-only preparation after the packages are in (directories, disabling a default site). */
  prepare?(host: Host, settings: WorkloadSettings): Promise<void>;
}

/** Whether `ss` shows a TCP listener on `address:port` (0.0.0.0 matches any address's wildcard). */
async function listening(host: Host, wanted: string): Promise<boolean> {
  const result = await host.tryRun(["ss", "--listening", "--tcp", "--numeric", "--no-header"]);
  const locals = result.stdout.split("\n").map((line) => line.trim().split(/\s+/)[3] ?? "");
  const [address, port] = [wanted.slice(0, wanted.lastIndexOf(":")), wanted.slice(wanted.lastIndexOf(":") + 1)];
  const accepted = address === "0.0.0.0" ? [`0.0.0.0:${port}`, `*:${port}`] : [`${address}:${port}`];
  return locals.some((local) => accepted.includes(local));
}

/** Waits (up to ~5 s) for each listener; throws COMMAND_FAILED naming the first missing one. */
async function verifyListening(host: Host, name: string, wanted: readonly string[]): Promise<void> {
  for (const address of wanted) {
    let ok = await listening(host, address);
    for (let i = 0; !ok && i < 25; i++) {
      await sleep(200);
      ok = await listening(host, address);
    }
    if (!ok) throw new OrchestraError("COMMAND_FAILED", `${name} is not listening on ${address}`, { reason: `not listening on ${address} after (re)start` });
  }
}

/** Builds a Workload from a PackagedServiceSpec. */
export function packagedService(spec: PackagedServiceSpec): Workload {
  // Hosts whose next reload must be a restart (one hook, one process: keyed by host).
  const restartPending = new WeakSet<Host>();
  return {
    name: spec.name,
    ports: (config, settings) => spec.ports(config, settings),
    async install(host, settings) {
      await ensurePackages(host, spec.packages);
      await spec.prepare?.(host, settings);
    },
    async ensureConfig(host, settings) {
      const files = spec.files(host, settings);
      const previous = files.map((f) => {
        const path = host.path(f.path);
        return { path, before: existsSync(path) ? readFileSync(path) : null };
      });
      let changed = false;
      for (const [i, f] of files.entries()) {
        const before = previous[i]!.before;
        if (before !== null && spec.needsRestart?.(before.toString("utf8"), f.content.toString())) restartPending.add(host);
        changed = writeFileAtomic(host.path(f.path), f.content, f.mode ?? 0o644) || changed;
        if (f.group !== undefined) await setAccess(host, f.path, { mode: f.mode ?? 0o644, group: f.group });
      }
      if (changed && spec.check) {
        const result = await host.tryRun(spec.check);
        if (!result.ok) {
          for (const p of previous) {
            if (p.before === null) removeFile(p.path);
            else writeFileAtomic(p.path, p.before);
          }
          const cause = failureCause(`${result.stderr}\n${result.stdout}`);
          throw new OrchestraError("COMMAND_FAILED", `${spec.name} refused its new configuration (${spec.check.join(" ")}): ${cause}; the previous files are back`, {
            component: spec.name,
            reason: `refused its new configuration (${cause}); still on the previous one`,
          });
        }
      }
      return changed;
    },
    async reload(host) {
      if (spec.reloadable && !restartPending.has(host)) await serviceReload(host, spec.service);
      else await serviceRestart(host, spec.service);
      restartPending.delete(host);
    },
    async ensureStarted(host, settings) {
      await serviceEnsureStarted(host, spec.service);
      if (spec.listensOn && host.serviceManager === "systemd") await verifyListening(host, spec.name, spec.listensOn(settings));
    },
    isRunning: (host) => serviceIsActive(host, spec.service),
    async isSetUp(host) {
      if (spec.ownFiles.some((file) => existsSync(host.path(file)))) return true;
      // The service's own package, as teardown decides.
      return installedByCharm(host).has(spec.packages[0]!) && (await serviceIsActive(host, spec.service));
    },
    async teardown(host) {
      for (const file of spec.ownFiles) removeFile(host.path(file));
      // Decided by the service's own package (the first): a machine's rsyslog stays the
      // machine's even where the charm added rsyslog-gnutls beside it.
      if (installedByCharm(host).has(spec.packages[0]!)) {
        await serviceDisable(host, spec.service);
        return;
      }
      // The machine had it before the charm: back to its own configuration, as it was.
      await serviceHandBack(host, spec.service);
    },
  };
}
