/**
 * @module charm/host/apt
 * Debian packages: install only what is missing, so a hook that runs again does nothing.
 */
import { existsSync, readFileSync } from "node:fs";
import { isOrchestraError } from "../../lib/errors.ts";
import type { Host } from "./host.ts";
import { writeFileAtomic } from "./write-file-atomic.ts";
import { aptProxyOptions, modelProxyEnvironment } from "./proxy.ts";

/** Where the charm notes the packages it installed (not those the machine had before). */
export const INSTALLED_BY_CHARM_FILE = "/var/lib/orchestra/charm/packages-installed.json";

/** The packages this charm installed on the machine. */
export function installedByCharm(host: Host): Set<string> {
  const path = host.path(INSTALLED_BY_CHARM_FILE);
  return new Set(existsSync(path) ? (JSON.parse(readFileSync(path, "utf8")) as string[]) : []);
}

function noteInstalled(host: Host, names: readonly string[]): void {
  const all = [...new Set([...installedByCharm(host), ...names])].sort();
  writeFileAtomic(host.path(INSTALLED_BY_CHARM_FILE), `${JSON.stringify(all)}\n`, 0o600);
}

/** The packages in `names` that dpkg does not report as installed. */
export async function missingPackages(host: Host, names: readonly string[]): Promise<string[]> {
  const missing: string[] = [];
  for (const name of names) {
    const query = await host.tryRun(["dpkg-query", "--show", "--showformat=${db:Status-Status}", name]);
    if (!query.ok || query.stdout.trim() !== "installed") missing.push(name);
  }
  return missing;
}

// One `apt-get update` per process (one hook) is enough however many components install.
const updated = new WeakSet<Host>();

/**
 * Installs the packages that are missing (after one apt-get update per hook); returns
 * which were installed.
 */
export async function ensurePackages(host: Host, names: readonly string[]): Promise<string[]> {
  const missing = await missingPackages(host, names);
  if (missing.length === 0) return [];
  // The model's proxy: a unit behind one reaches the archive only through it.
  const proxy = modelProxyEnvironment();
  const env = { ...process.env, ...proxy, DEBIAN_FRONTEND: "noninteractive" } as Record<string, string>;
  const proxyOptions = aptProxyOptions(proxy);
  if (!updated.has(host)) {
    await host.run(["apt-get", ...proxyOptions, "update"], { env });
    updated.add(host);
  }
  await finishInterruptedDpkg(host, env, proxyOptions);
  // confold: a config file the charm already wrote must survive the package's own.
  await host.run(["apt-get", ...proxyOptions, "install", "--yes", "--no-install-recommends", "-o", "Dpkg::Options::=--force-confold", ...missing], { env });
  // stop/remove treat these differently from packages the machine had before.
  noteInstalled(host, missing);
  return missing;
}

/**
 * Finish what a hook killed while dpkg worked left: apt-get refuses every install until then
 * ("dpkg was interrupted"). Packages left half configured, `dpkg --configure -a` finishes.
 * One left unpacked before apt unpacked what it depends on, configure cannot finish
 * ("dependency problems", "error processing package squid (--configure)"; seen in CI as
 * perl-base's): apt-get's --fix-broken installs what is missing (or unpacks again a package
 * left half installed), then configure finishes the rest (tests/integration/faults.test.ts).
 * Nothing pending: one dpkg call that does nothing.
 */
async function finishInterruptedDpkg(host: Host, env: Record<string, string>, proxyOptions: readonly string[]): Promise<void> {
  try {
    await host.run(["dpkg", "--force-confold", "--configure", "-a"], { env });
  } catch (error) {
    if (!isOrchestraError(error, "COMMAND_FAILED")) throw error;
    await host.run(["apt-get", ...proxyOptions, "install", "--fix-broken", "--yes", "--no-install-recommends", "-o", "Dpkg::Options::=--force-confold"], { env });
    await host.run(["dpkg", "--force-confold", "--configure", "-a"], { env });
  }
}
