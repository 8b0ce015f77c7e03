/**
 * @module images/erase-script
 * The erase program inside the Orchestra ramdisk (/bin/orchestra-erase), run by /init when
 * the kernel command line says `orchestra.mode=erase`: it wipes every disk of the machine,
 * reports with its log, and powers off. `quick` zeroes each disk's first and last 2 MiB
 * (partition tables, the GPT backup at the end, file system and RAID signatures), so the
 * next tenant finds a blank disk; `full` writes zeros over every byte.
 */

import { renderNodeScriptPrelude } from "./node-script.ts";

/** The script. `ORCHESTRA_DEV`, `ORCHESTRA_ERASE_DISKS` and `ORCHESTRA_ERASE_NO_POWEROFF` exist for tests that run it on a host against files. */
export function renderEraseScript(): string {
  return `${renderNodeScriptPrelude("erase", "wipe every disk, report, power off.")}MODE=$3

finish() {
  [ -n "$ORCHESTRA_ERASE_NO_POWEROFF" ] && exit "$1"
  sync
  poweroff -f
}

report() { report_to "$BASE/erase/$TOKEN/report" "$1" "$2"; }

fail() {
  log "FAILED: $1"
  report failure "$1"
  finish 1
}

[ -n "$BASE" ] && [ -n "$TOKEN" ] || { log "usage: orchestra-erase BASE-URL TOKEN quick|full"; finish 2; }
case "$MODE" in quick|full) ;; *) fail "unknown erase mode '$MODE' (quick or full)" ;; esac

# The machine's disks, as discovery sees them; a test names files instead.
DISKS=$ORCHESTRA_ERASE_DISKS
if [ -z "$DISKS" ]; then
  for d in /sys/block/*; do
    n=\${d##*/}
    case "$n" in loop*|ram*|sr*|fd*|zram*|dm-*|md*) continue;; esac
    DISKS="$DISKS $n"
  done
fi
[ -n "$DISKS" ] || fail "no disks found to erase"

MIB=1048576
for n in $DISKS; do
  disk=$DEV/$n
  [ -b "$disk" ] || [ -f "$disk" ] || fail "no disk $disk"
  size=$(blockdev --getsize64 "$disk" 2>/dev/null || stat -c %s "$disk")
  [ -n "$size" ] && [ "$size" -gt 0 ] || fail "cannot tell the size of $disk"
  mibs=$((size / MIB))
  if [ "$MODE" = full ]; then
    log "erasing all of $n ($size bytes)"
    dd if=/dev/zero of="$disk" bs=$MIB count=$mibs conv=notrunc,fsync 2>"$WORK/dd.err" || fail "writing zeros to $n failed: $(tail -n 1 "$WORK/dd.err")"
  else
    head=2; [ $mibs -lt 4 ] && head=$mibs
    log "erasing the first and last 2 MiB of $n ($size bytes)"
    dd if=/dev/zero of="$disk" bs=$MIB count=$head conv=notrunc,fsync 2>"$WORK/dd.err" || fail "wiping the start of $n failed: $(tail -n 1 "$WORK/dd.err")"
    if [ $mibs -ge 4 ]; then
      dd if=/dev/zero of="$disk" bs=$MIB seek=$((mibs - 2)) count=2 conv=notrunc,fsync 2>"$WORK/dd.err" || fail "wiping the end of $n failed: $(tail -n 1 "$WORK/dd.err")"
    fi
  fi
done
sync
report success "$(echo $DISKS)" || finish 1
finish 0
`;
}
