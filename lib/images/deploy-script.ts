/**
 * @module images/deploy-script
 * The deploy program inside the Orchestra ramdisk (/bin/orchestra-deploy). The discovery
 * /init runs it once the network is up when the kernel command line says
 * `orchestra.mode=deploy`. It fetches the deployment's plan (with the cloud-init seed file at its end), streams the image over HTTP
 * through its decompressor onto the disk while hashing what it downloaded, checks the hash,
 * writes the cloud-init seed into the new root file system, reports with its log, and
 * reboots (the boot service then tells the machine's PXE request to boot from disk).
 *
 * busybox 1.35's wget crashes when given -T, so calls are bounded with \`timeout\` instead.
 * Every call back is retried for minutes, so a restarting server loses nothing; a failure
 * is reported with the reason and the disk's first MiB is wiped, so a half-written image
 * never boots.
 */

import { aria2DownloadArguments, aria2SeedArguments } from "../fanout/aria2/aria2-arguments.ts";
import { renderNodeScriptPrelude } from "./node-script.ts";
import { OS_SEED_CONFIG_PATH } from "./os-image-config.ts";

/** aria2c's arguments as shell words (each double-quoted, so $WORK and the plan's numbers expand and nothing else does). */
function shellWords(args: readonly string[]): string {
  return args.map((arg) => `"${arg}"`).join(" ");
}

/** The memory kept free beside the image file held in RAM (kB): the decompressor, the shell, the page cache's floor. */
const FANOUT_MEMORY_MARGIN_KB = 96 * 1024;

/** The script. `ORCHESTRA_DEV` (default /dev) and `ORCHESTRA_DEPLOY_NO_REBOOT` exist for tests that run it on a host against a file. */
export function renderDeployScript(): string {
  return `${renderNodeScriptPrelude("deploy", "plan, write, verify, seed, report, reboot.")}
finish() {
  if [ -n "$ORCHESTRA_DEPLOY_NO_REBOOT" ]; then exit "$1"; fi
  sync
  if [ "$1" = 0 ]; then log "rebooting into the deployed system"; reboot -f; fi
  log "powering off"
  poweroff -f
}

report() { report_to "$REPORT_URL" "$1" "$2"; }

fail() {
  log "FAILED: $1"
  stop_seeding
  [ -n "$TARGET" ] && [ "$WROTE" = 1 ] && dd if=/dev/zero of="$TARGET" bs=1048576 count=1 conv=notrunc,fsync 2>/dev/null
  report failure "$1"
  finish 1
}

[ -n "$BASE" ] && [ -n "$TOKEN" ] || { log "usage: orchestra-deploy BASE-URL TOKEN (from orchestra.url= and orchestra.token=)"; finish 2; }

# The plan. A 404/409 means this deployment is over (replaced, released): stop quietly.
tries=0
until timeout 30 wget -q -O "$WORK/plan" "$BASE/deploy/$TOKEN/plan" 2>"$WORK/plan.err"; do
  if grep -q -e " 404" -e " 409" "$WORK/plan.err"; then log "the server has no active deployment for this token; stopping"; finish 3; fi
  tries=$((tries + 1))
  [ $tries -ge 60 ] && { log "could not fetch the plan from $BASE"; finish 4; }
  sleep 5
done
while IFS='=' read -r key value; do
  case "$key" in
    ORCHESTRA_DEPLOY_PLAN) PLAN_VERSION=$value ;;
    SYSTEM_ID) SYSTEM_ID=$value ;;
    IMAGE_ID) IMAGE_ID=$value ;;
    IMAGE_URL) IMAGE_URL=$value ;;
    IMAGE_FORMAT) IMAGE_FORMAT=$value ;;
    IMAGE_SHA256) IMAGE_SHA256=$value ;;
    IMAGE_BYTES) IMAGE_BYTES=$value ;;
    DISK) DISK=$value ;;
    ROOT_PARTITION) ROOT_PARTITION=$value ;;
    SEED_CONFIG_URL) SEED_CONFIG_URL=$value ;;
    SEED_CONFIG_LINES) SEED_CONFIG_LINES=$value; break ;;
    PROGRESS_URL) PROGRESS_URL=$value ;;
    REPORT_URL) REPORT_URL=$value ;;
    BOOTED_URL) BOOTED_URL=$value ;;
    TORRENT_URL) TORRENT_URL=$value ;;
    FANOUT_SEED_SECONDS) FANOUT_SEED_SECONDS=$value ;;
    FANOUT_STALL_SECONDS) FANOUT_STALL_SECONDS=$value ;;
  esac
done < "$WORK/plan"
[ "$PLAN_VERSION" = 1 ] || fail "plan format $PLAN_VERSION is not one this ramdisk reads (1)"
# The seed file, when the plan carries it: its last SEED_CONFIG_LINES lines.
if [ -n "$SEED_CONFIG_LINES" ]; then
  case "$SEED_CONFIG_LINES" in *[!0-9]*) fail "the plan's SEED_CONFIG_LINES is not a number: $SEED_CONFIG_LINES" ;; esac
  tail -n "$SEED_CONFIG_LINES" "$WORK/plan" > "$WORK/seed.cfg"
fi
log "deploying $IMAGE_ID ($IMAGE_FORMAT, $IMAGE_BYTES bytes) to $DISK on $SYSTEM_ID"

TARGET=$DEV/$DISK
[ -b "$TARGET" ] || [ -f "$TARGET" ] || fail "no disk $TARGET on this machine"
case "$IMAGE_FORMAT" in
  gz) DECOMPRESS="gunzip -c" ;;
  xz) DECOMPRESS="xzcat" ;;
  raw) DECOMPRESS="cat" ;;
  *) fail "unknown image format $IMAGE_FORMAT" ;;
esac

# Fan-out (docs/deploy.md): fetch the image by BitTorrent into RAM, verify it, seed it to the
# other nodes while it is written. Any failure here only means HTTP, as without fan-out.
SOURCE=http
SEED_PID=
why() { echo "$*" > "$WORK/fanout.reason"; }
fanout_fetch() {
  command -v aria2c >/dev/null 2>&1 || { why "this ramdisk has no aria2c"; return 1; }
  avail=$(awk '/MemAvailable/ { print $2 }' /proc/meminfo 2>/dev/null)
  need=$(( IMAGE_BYTES / 1024 + ${FANOUT_MEMORY_MARGIN_KB} ))
  [ "\${avail:-0}" -gt "$need" ] || { why "not enough memory to hold the image: \${avail:-0} kB available, $need kB needed"; return 1; }
  timeout 30 wget -q -O "$WORK/image.torrent" "$TORRENT_URL" 2>"$WORK/torrent.err" || { why "could not fetch the torrent: $(tr '\\n' ' ' < "$WORK/torrent.err")"; return 1; }
  mkdir -p "$WORK/fanout"
  started=$(date +%s)
  # Bounded twice: aria2c stops when nothing arrives for FANOUT_STALL_SECONDS, and the whole
  # download may take no longer than it would at 1 MiB/s plus ten minutes.
  timeout $(( IMAGE_BYTES / 1048576 + 600 )) aria2c ${shellWords(aria2DownloadArguments({ torrent: "$WORK/image.torrent", dir: "$WORK/fanout", out: "image", listenPort: "6881-6999", stallSeconds: "$FANOUT_STALL_SECONDS", seedSeconds: 0, log: "$WORK/aria2.log", logLevel: "notice" }))} >"$WORK/aria2.out" 2>&1
  rc=$?
  # The ramdisk has no CA bundle and needs none (plain HTTP to the tracker): aria2c's complaint
  # about it is left out of the reason, which would otherwise hide the real one.
  [ $rc = 0 ] || { why "aria2c exited with $rc: $(grep -i -e error -e stop "$WORK/aria2.out" | grep -v "trusted CA certificates" | head -n 3 | tr '\\n' ' ')"; return 1; }
  got=$(sha256sum "$WORK/fanout/image" | cut -d ' ' -f 1)
  [ "$got" = "$IMAGE_SHA256" ] || { why "the image from peers has SHA-256 $got, the plan says $IMAGE_SHA256"; return 1; }
  log "fan-out: image fetched from peers and verified in $(( $(date +%s) - started )) s; seeding it for up to $FANOUT_SEED_SECONDS s"
  # A second aria2c seeds the verified file (no re-hash), bounded by FANOUT_SEED_SECONDS.
  [ "\${FANOUT_SEED_SECONDS:-0}" -gt 0 ] || return 0
  timeout "$FANOUT_SEED_SECONDS" aria2c ${shellWords(aria2SeedArguments({ torrent: "$WORK/image.torrent", dir: "$WORK/fanout", out: "image", listenPort: "6881-6999", unverified: true }))} >"$WORK/seed.out" 2>&1 &
  SEED_PID=$!
  return 0
}
stop_seeding() {
  [ -n "$SEED_PID" ] || return 0
  kill "$SEED_PID" 2>/dev/null; wait "$SEED_PID" 2>/dev/null
  SEED_PID=
  rm -f "$WORK/fanout/image"
  log "fan-out: stopped seeding"
}
if [ -n "$TORRENT_URL" ]; then
  log "fan-out: fetching $IMAGE_ID from peers ($TORRENT_URL)"
  if fanout_fetch; then SOURCE=fanout; else log "fan-out: falling back to HTTP: $(cat "$WORK/fanout.reason")"; rm -rf "$WORK/fanout"; fi
fi

# Progress: bytes written to the disk so far, from the block layer's counters, every 5 s.
# The block device's own name (the plan's DISK may be a link to it), for its counters in /sys.
BLOCK=$(basename "$(readlink -f "$TARGET")")
sectors_written() { awk '{ print $7 }' "/sys/block/$BLOCK/stat" 2>/dev/null || echo 0; }
START_SECTORS=$(sectors_written)
( while sleep 5 && [ ! -f "$WORK/stop-progress" ]; do
    done_bytes=$(( ($(sectors_written) - START_SECTORS) * 512 ))
    timeout 5 wget -q -O /dev/null --post-data "bytes=$done_bytes" "$PROGRESS_URL"
  done ) >/dev/null 2>&1 &
PROGRESS_PID=$!

# Stream: download | tee (to the hasher) | decompress | disk. Each stage leaves a mark when it fails.
mkfifo "$WORK/hash.fifo"
sha256sum < "$WORK/hash.fifo" > "$WORK/hash" &
HASH_PID=$!
WROTE=1
{ if [ "$SOURCE" = fanout ]; then cat "$WORK/fanout/image"; else wget -q -O - "$IMAGE_URL"; fi 2>"$WORK/fetch.err"; rc=$?; [ $rc = 0 ] || [ $rc = 141 ] || echo "download of $IMAGE_URL failed (wget exit $rc): $(cat "$WORK/fetch.err" | tr '\\n' ' ' | sed 's/ *$//' | grep . || echo 'no message: killed?')" > "$WORK/fetch.failed"; } \\
  | tee "$WORK/hash.fifo" \\
  | { $DECOMPRESS 2>"$WORK/decompress.err"; rc=$?; [ $rc = 0 ] || [ $rc = 141 ] || echo "$IMAGE_FORMAT decompression failed (exit $rc): $(cat "$WORK/decompress.err" | tr '\\n' ' ' | sed 's/ *$//')" > "$WORK/decompress.failed"; } \\
  | dd of="$TARGET" bs=1048576 conv=fsync 2>"$WORK/dd.err" || echo "writing $TARGET failed: $(grep -v -e 'records in' -e 'records out' -e ' bytes' "$WORK/dd.err" | tr '\\n' ' ' | sed 's/ *$//')" > "$WORK/write.failed"
wait $HASH_PID
touch "$WORK/stop-progress"
kill $PROGRESS_PID 2>/dev/null
# What a person needs to act on a failure: how far the write got, how big the disk is, and
# whether the kernel ran out of memory (a ramdisk on a small machine).
disk_bytes() { if [ -r "/sys/block/$BLOCK/size" ]; then echo $(( $(cat "/sys/block/$BLOCK/size") * 512 )); else wc -c < "$TARGET" | tr -d ' '; fi; }
written_bytes() { sync; if [ -r "/sys/block/$BLOCK/stat" ]; then echo $(( ($(sectors_written) - START_SECTORS) * 512 )); else awk '/ bytes/ { n = $1 } END { print n + 0 }' "$WORK/dd.err" 2>/dev/null || echo 0; fi; }
oom() { dmesg 2>/dev/null | grep -qi "out of memory" && echo "; the kernel ran out of memory (this machine has $(awk '/MemTotal/ { print $2 }' /proc/meminfo) kB)"; }
where() { echo "$(written_bytes) bytes written to $DISK, a disk of $(disk_bytes) bytes (the image file is $IMAGE_BYTES bytes, $IMAGE_FORMAT)$(oom)"; }
# A stage killed by SIGPIPE (exit 141) only saw the stage after it stop: that later stage's failure is the cause, so it is reported first.
[ -f "$WORK/write.failed" ] && fail "$(cat "$WORK/write.failed"); $(where)"
[ -f "$WORK/fetch.failed" ] && fail "$(cat "$WORK/fetch.failed"); $(where)"
read -r GOT _ < "$WORK/hash"
[ "$GOT" = "$IMAGE_SHA256" ] || fail "checksum mismatch: the image downloaded has SHA-256 $GOT, the plan says $IMAGE_SHA256"
[ -f "$WORK/decompress.failed" ] && fail "$(cat "$WORK/decompress.failed"); $(where)"
sync
log "image written and verified (SHA-256 $GOT): $(tail -n 1 "$WORK/dd.err")"

# The seed: the server renders the file; mount the root partition through a loop device at
# the offset the MBR gives, and put it where the image's cloud-init reads it.
if [ -n "$ROOT_PARTITION" ] && { [ -n "$SEED_CONFIG_LINES" ] || [ -n "$SEED_CONFIG_URL" ]; }; then
  tries=0
  until [ -n "$SEED_CONFIG_LINES" ] || timeout 30 wget -q -O "$WORK/seed.cfg" "$SEED_CONFIG_URL"; do
    tries=$((tries + 1))
    [ $tries -ge 60 ] && fail "could not fetch the cloud-init seed from $SEED_CONFIG_URL"
    sleep 5
  done
  entry=$((446 + 16 * (ROOT_PARTITION - 1)))
  start=$(dd if="$TARGET" bs=1 skip=$((entry + 8)) count=4 2>/dev/null | od -An -tu4 | tr -d ' ')
  [ -n "$start" ] && [ "$start" -gt 0 ] || fail "partition $ROOT_PARTITION has no start sector in the disk's MBR"
  # Find a free loop device and take it; where something else takes the same one in between
  # (two deploys sharing a host's loop devices in the tests), try the next free one.
  tries=0
  until LOOP=$(losetup -f) && losetup -o $((start * 512)) "$LOOP" "$TARGET" 2>"$WORK/losetup.err"; do
    tries=$((tries + 1))
    [ -n "$LOOP" ] || fail "no free loop device to mount the root file system"
    [ $tries -ge 5 ] && fail "losetup of partition $ROOT_PARTITION failed: $(cat "$WORK/losetup.err")"
    sleep 1
  done
  mkdir -p "$WORK/root"
  if ! mount -t ext4 "$LOOP" "$WORK/root" 2>"$WORK/mount.err"; then losetup -d "$LOOP"; fail "mounting partition $ROOT_PARTITION failed: $(cat "$WORK/mount.err")"; fi
  mkdir -p "$WORK/root/${OS_SEED_CONFIG_PATH.slice(0, OS_SEED_CONFIG_PATH.lastIndexOf("/"))}"
  cp "$WORK/seed.cfg" "$WORK/root/${OS_SEED_CONFIG_PATH}"
  sync
  umount "$WORK/root"; losetup -d "$LOOP"
  log "cloud-init seed written to partition $ROOT_PARTITION"
fi

report success "deployed $IMAGE_ID to $DISK" || { stop_seeding; finish 1; }
# Seeding ends with the report (issue 17: a node shares while it writes and reports, never
# longer than FANOUT_SEED_SECONDS): a deployed machine does not hold back its own reboot for
# the others, who still have the server's seeder and HTTP.
stop_seeding
finish 0
`;
}
