/**
 * @module cli/package-version
 * The package's version, for `orchestra --version` and the build-info metric. A constant,
 * not a read of package.json: the charm bundles the CLI into one file with no package.json
 * beside it (as charm/version.ts does for the charm). tests/cli/first-run-errors.test.ts
 * keeps it equal to package.json's version.
 */

/** The version in package.json. */
export const ORCHESTRA_VERSION = "0.1.0";

/** The package's version. */
export function packageVersion(): string {
  return ORCHESTRA_VERSION;
}
