/**
 * @module hookenv/config
 * config-get: the charm's configuration as Juju resolved it (set values and defaults).
 */
import { runToolJson } from "./run-tool.ts";

/** A config value as config-get reports it. */
export type ConfigValue = string | number | boolean | null;

/** All config options that are set or have a default; with `all`, unset ones too (as null). */
export async function configGet(options: { all?: boolean } = {}): Promise<Record<string, ConfigValue>> {
  const argv = ["config-get", "--format=json"];
  if (options.all) argv.push("--all");
  return (await runToolJson<Record<string, ConfigValue>>(argv)) ?? {};
}

/** One config option's value, or null when it is unset and has no default. */
export async function configGetKey(key: string): Promise<ConfigValue> {
  return (await runToolJson<ConfigValue>(["config-get", "--format=json", key])) ?? null;
}
