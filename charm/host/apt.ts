/**
 * @module charm/host/apt
 * Debian packages: install only what is missing, so a hook that runs again does nothing.
 */
import type { Host } from "./host.ts";
import { aptProxyOptions, modelProxyEnvironment } from "./proxy.ts";

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
  // confold: a config file the charm already wrote must survive the package's own.
  await host.run(["apt-get", ...proxyOptions, "install", "--yes", "--no-install-recommends", "-o", "Dpkg::Options::=--force-confold", ...missing], { env });
  return missing;
}
