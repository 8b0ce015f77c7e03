/**
 * @module testing/units/cache-key
 * Cached artefacts are named by a hash of everything that went into them, so a change to an
 * input builds a new one beside the old instead of reusing a stale one.
 */
import { createHash } from "node:crypto";

/** The cache directory every unit artefact lives under. */
export const UNITS_CACHE_DIR = process.env.ORCHESTRA_UNITS_CACHE ?? "/var/cache/orchestra/units";

/** A short stable hash of `inputs` (JSON with sorted keys). */
export function cacheKey(inputs: unknown): string {
  const canonical = JSON.stringify(inputs, (_key, value: unknown) =>
    value !== null && typeof value === "object" && !Array.isArray(value)
      ? Object.fromEntries(Object.entries(value as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)))
      : value);
  return createHash("sha256").update(canonical).digest("hex").slice(0, 16);
}
