/**
 * @module images/node-script
 * What the Orchestra ramdisk's programs (deploy, erase) share at their top: the server's URL
 * and the token from their arguments, the disk directory, a fresh work directory, a log
 * that goes both to the console and into the report, and the retried report itself.
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

# POST a file to a URL, retrying for about five minutes (a restarting server must not lose a report).
post_file() {
  url=$1; file=$2; type=$3; tries=0
  until timeout 30 wget -q -O "$WORK/reply" --header "Content-Type: $type" --post-file "$file" "$url"; do
    tries=$((tries + 1))
    [ $tries -ge 60 ] && return 1
    sleep 5
  done
  return 0
}

# Report to URL?status=STATUS: the body's first line is the summary (or the reason), then the log.
report_to() {
  url=$1; status=$2; summary=$3
  { echo "$summary"; cat "$LOG"; } > "$WORK/report"
  if [ -n "$url" ] && post_file "$url?status=$status" "$WORK/report" text/plain; then return 0; fi
  log "could not deliver the $status report"
  return 1
}
`;
}
