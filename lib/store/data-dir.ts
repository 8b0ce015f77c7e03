/**
 * @module store/data-dir
 * Where Orchestra keeps its state: `--data-dir`, else $ORCHESTRA_DATA_DIR, else
 * /var/lib/orchestra for root (the charm's service) or $XDG_DATA_HOME/orchestra
 * (~/.local/share/orchestra) for anyone else.
 */
import { homedir } from "node:os";
import { join, resolve } from "node:path";

/** The data directory to use, from an explicit value, the environment, or the default. */
export function resolveDataDir(explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (explicit) return resolve(explicit);
  if (env.ORCHESTRA_DATA_DIR) return resolve(env.ORCHESTRA_DATA_DIR);
  if (process.getuid?.() === 0) return "/var/lib/orchestra";
  return join(env.XDG_DATA_HOME || join(homedir(), ".local", "share"), "orchestra");
}
