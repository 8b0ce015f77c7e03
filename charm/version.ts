/**
 * @module charm/version
 * The version `juju status` shows for the application. It is the package's version; a test
 * keeps the two equal (importing package.json here would put a copy of it into dist/).
 */

/** The charm's version. */
export const CHARM_VERSION = "0.1.0";
