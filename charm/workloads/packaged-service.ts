/**
 * @module charm/workloads/packaged-service
 * The one recipe the Debian-packaged components share: install packages, write config
 * files atomically, let the daemon check them (and put the old ones back if it refuses),
 * then reload or restart. Each component's file gives only its own specifics.
 */
import { existsSync, readFileSync } from "node:fs";
import { OrchestraError } from "../../lib/errors.ts";
import type { CharmConfig, Component } from "../config/charm-config.ts";
import { ensurePackages } from "../host/apt.ts";
import { setAccess } from "../host/file-access.ts";
import type { Host } from "../host/host.ts";
import { serviceEnsureStarted, serviceIsActive, serviceReload, serviceRestart, serviceStop, type ServiceSpec } from "../host/service-manager.ts";
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
  packages: readonly string[];
  ports(config: CharmConfig): string[];
  files(host: Host, settings: WorkloadSettings): ManagedFile[];
  /** The daemon's own config check, run after writing (`nginx -t`); non-zero restores the old files. */
  check?: readonly string[];
  /** Whether the daemon re-reads its config on reload; otherwise it is restarted. */
  reloadable: boolean;
  /** Once-only preparation after the packages are in (directories, disabling a default site). */
  prepare?(host: Host, settings: WorkloadSettings): Promise<void>;
}

/** Builds a Workload from a PackagedServiceSpec. */
export function packagedService(spec: PackagedServiceSpec): Workload {
  return {
    name: spec.name,
    ports: (config) => spec.ports(config),
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
      for (const f of files) {
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
          throw new OrchestraError("COMMAND_FAILED", `${spec.name} refused its new configuration (${spec.check.join(" ")}); the previous files are back`, { component: spec.name });
        }
      }
      return changed;
    },
    async reload(host) {
      if (spec.reloadable) await serviceReload(host, spec.service);
      else await serviceRestart(host, spec.service);
    },
    ensureStarted: (host) => serviceEnsureStarted(host, spec.service),
    isRunning: (host) => serviceIsActive(host, spec.service),
    stop: (host) => serviceStop(host, spec.service),
  };
}
