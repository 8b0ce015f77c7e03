/**
 * @module cli/package-version
 * The installed package's version, for `orchestra --version`: read from package.json, which
 * sits two folders above this file in the source tree and three above it in dist/.
 */
import { readFileSync } from "node:fs";

/** The version in the package's package.json. */
export function packageVersion(): string {
  for (const up of ["../../package.json", "../../../package.json"]) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(up, import.meta.url), "utf8")) as { name?: string; version?: string };
      if (pkg.version && pkg.name?.endsWith("orchestra")) return pkg.version;
    } catch {
      // not at this depth; try the next
    }
  }
  return "unknown";
}
