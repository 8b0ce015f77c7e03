/**
 * @module images/node-script
 * What the Orchestra ramdisk's programs (deploy, erase) share at their top: the server's URL
 * and the token from their arguments, the disk directory, a fresh work directory, and a log
 * that goes both to the console and into the report.
 */

/** The opening lines of the ramdisk program `name` (orchestra-`name`); `ORCHESTRA_DEV` and `ORCHESTRA_<NAME>_WORK` exist for tests on a host. */
export function renderNodeScriptPrelude(name: "deploy" | "erase", purpose: string): string {
  return `#!/bin/busybox sh
# Orchestra ${name}: ${purpose}
BASE=$1
TOKEN=$2
DEV=\${ORCHESTRA_DEV:-/dev}
WORK=\${ORCHESTRA_${name.toUpperCase()}_WORK:-/tmp/orchestra-${name}}
rm -rf "$WORK"; mkdir -p "$WORK"
LOG=$WORK/log
: > "$LOG"
log() { echo "orchestra-${name}: $*"; echo "$(date -u +%H:%M:%S) $*" >> "$LOG"; }
`;
}
