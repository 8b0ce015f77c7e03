/**
 * @module charm/host/file-access
 * Who may read what the charm writes. Daemons drop root (nginx to www-data, dnsmasq to
 * dnsmasq, Ubuntu's rsyslog to syslog), so each directory they serve gets exactly their
 * access, by owner or group, and nothing else; secrets stay root's alone (0600).
 */
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import type { Host } from "./host.ts";

/** A path's wanted mode and owners, by name ("root" when not given). */
export interface Access {
  mode: number;
  user?: string;
  group?: string;
}

/** A user or group id from the host's name service (getent), or null when there is none. */
export async function lookupId(host: Host, database: "passwd" | "group", name: string): Promise<number | null> {
  if (name === "root") return 0;
  const result = await host.tryRun(["getent", database, name]);
  const id = Number(result.stdout.split(":")[2]);
  return result.ok && Number.isInteger(id) ? id : null;
}

/** Sets mode and owners of an existing path. An unknown user or group is root. */
export async function setAccess(host: Host, path: string, access: Access): Promise<void> {
  const uid = (await lookupId(host, "passwd", access.user ?? "root")) ?? 0;
  const gid = (await lookupId(host, "group", access.group ?? "root")) ?? 0;
  const target = host.path(path);
  chownSync(target, uid, gid);
  // After chown: chown clears the setgid bit on some systems.
  chmodSync(target, access.mode);
}

/** Creates a directory (and its parents) if needed, then sets its mode and owners. */
export async function ensureDirectory(host: Host, path: string, access: Access): Promise<void> {
  mkdirSync(host.path(path), { recursive: true });
  await setAccess(host, path, access);
}

/** Makes existing files root's alone (0600); missing ones are skipped. */
export async function keepPrivate(host: Host, paths: readonly string[]): Promise<void> {
  for (const path of paths) if (existsSync(host.path(path))) await setAccess(host, path, { mode: 0o600 });
}

/** A directive's value in a daemon's config file (first match), or null. */
export function configValue(host: Host, file: string, pattern: RegExp): string | null {
  const path = host.path(file);
  if (!existsSync(path)) return null;
  return pattern.exec(readFileSync(path, "utf8"))?.[1] ?? null;
}
