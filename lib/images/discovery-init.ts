/**
 * @module images/discovery-init
 * The programs inside the discovery ramdisk: /init (busybox sh) and udhcpc's event script.
 * The ramdisk is generic; everything machine- or site-specific arrives on the kernel command
 * line that the boot service renders (orchestra.url, orchestra.mode, BOOTIF).
 */

/** The report format the init script sends; the enlistment endpoint checks the same number. */
export const DISCOVERY_REPORT_VERSION = 1;

/**
 * The /init script. It reports once and powers off; with `orchestra.mode=commissioning` it
 * says so in the report, and with `orchestra.debug=1` it drops to a shell instead of
 * powering off, so an operator can look around on the console.
 */
export function renderDiscoveryInit(): string {
  return `#!/bin/busybox sh
# Orchestra discovery ramdisk: bring the network up, report this machine's hardware, power off.
/bin/busybox mkdir -p /proc /sys /dev /tmp /run /sbin /usr/bin /usr/sbin
/bin/busybox --install -s
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null

log() { echo "orchestra-discovery: $*"; }
arg() { for w in $(cat /proc/cmdline); do case "$w" in "$1="*) echo "\${w#*=}";; esac; done; }
# JSON string content: drop what could break the quoting rather than escape it.
js() { printf '%s' "$1" | tr -d '"\\\\\\000-\\037' | sed 's/ *$//'; }
finish() {
  log "$1"
  if [ "$(arg orchestra.debug)" = 1 ]; then exec sh; fi
  sync
  poweroff -f
}

URL=$(arg orchestra.url)
MODE=$(arg orchestra.mode)
[ -n "$MODE" ] || MODE=enlist
[ -n "$URL" ] || finish "no orchestra.url= on the kernel command line; nothing to report to"

# Modules first: the Debian kernel builds its NIC and disk drivers as modules.
while read -r m; do insmod "/lib/modules/$m" 2>/dev/null; done < /etc/modules.order

# The boot interface is the one whose MAC iPXE put in BOOTIF (01-aa-bb-...), else any that gets a lease.
BOOTMAC=$(arg BOOTIF | sed 's/^01-//; s/-/:/g' | tr 'A-F' 'a-f')
tries=0
while [ -z "$(ls /sys/class/net | grep -v '^lo$')" ] && [ $tries -lt 50 ]; do sleep 0.2; tries=$((tries + 1)); done
CANDIDATES=""
for d in /sys/class/net/*; do
  n=\${d##*/}; [ "$n" = lo ] && continue
  if [ "$(cat "$d/address")" = "$BOOTMAC" ]; then CANDIDATES="$n $CANDIDATES"; else CANDIDATES="$CANDIDATES $n"; fi
done
UP=""
for n in $CANDIDATES; do
  ip link set "$n" up
  if udhcpc -i "$n" -n -q -t 8 -T 2 -s /etc/udhcpc.script >/dev/null 2>&1; then UP=$n; break; fi
done
[ -n "$UP" ] || finish "no interface got a DHCP lease (tried:$CANDIDATES)"
[ -n "$BOOTMAC" ] || BOOTMAC=$(cat /sys/class/net/$UP/address)
log "network up on $UP"
# Deployment and erasure are programs of their own; they report and reboot or power off by themselves.
if [ "$MODE" = deploy ]; then exec /bin/orchestra-deploy "$URL" "$(arg orchestra.token)"; fi
if [ "$MODE" = erase ]; then exec /bin/orchestra-erase "$URL" "$(arg orchestra.token)" "$(arg orchestra.erase)"; fi

ifaces=""
for d in /sys/class/net/*; do
  n=\${d##*/}; [ "$n" = lo ] && continue; [ -e "$d/device" ] || continue
  ifaces="$ifaces\${ifaces:+,}{\\"name\\":\\"$(js "$n")\\",\\"mac\\":\\"$(js "$(cat "$d/address")")\\"}"
done

cpus=$(grep -c '^processor' /proc/cpuinfo)
cpumodel=$(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
# Online memory blocks give the installed size; MemTotal lacks what the kernel reserved.
mem=""
if [ -r /sys/devices/system/memory/block_size_bytes ]; then
  bs=$(printf '%d' "0x$(cat /sys/devices/system/memory/block_size_bytes)")
  blocks=$(cat /sys/devices/system/memory/memory*/online 2>/dev/null | grep -c 1)
  [ "$blocks" -gt 0 ] && mem=$((bs / 1048576 * blocks))
fi
[ -n "$mem" ] || mem=$(awk '/^MemTotal:/ { printf "%d", $2 / 1024 }' /proc/meminfo)

disks=""
for d in /sys/block/*; do
  n=\${d##*/}
  case "$n" in loop*|ram*|sr*|fd*|zram*|dm-*|md*) continue;; esac
  size=$(awk '{ printf "%.0f", $1 * 512 }' "$d/size")
  [ "$size" = 0 ] && continue
  model=$(cat "$d/device/model" 2>/dev/null)
  serial=$(cat "$d/serial" 2>/dev/null || cat "$d/device/serial" 2>/dev/null)
  disks="$disks\${disks:+,}{\\"name\\":\\"$(js "$n")\\",\\"sizeBytes\\":$size,\\"model\\":\\"$(js "$model")\\",\\"serial\\":\\"$(js "$serial")\\"}"
done

dmi() { js "$(cat /sys/class/dmi/id/$1 2>/dev/null)"; }
firmware=bios; [ -d /sys/firmware/efi ] && firmware=uefi
case "$(uname -m)" in x86_64) arch=amd64;; aarch64) arch=arm64;; i?86) arch=i386;; *) arch=$(uname -m);; esac
# The BMC, in-band. ipmi_si finds it from SMBIOS (type 38) or ACPI and probes it in the
# background: wait for /dev/ipmi0 only where SMBIOS says there is one.
if [ -e /sys/firmware/dmi/entries/38-0 ]; then
  tries=0
  while [ ! -e /dev/ipmi0 ] && [ $tries -lt 50 ]; do sleep 0.2; tries=$((tries + 1)); done
fi
bmc=""; bmcuser=""; bmcpass=""
if command -v ipmitool >/dev/null 2>&1 && [ -e /dev/ipmi0 ]; then
  bmc=$(ipmitool lan print 1 2>/dev/null | awk -F: '/^IP Address  / { gsub(/ /, "", $2); print $2 }')
  [ "$bmc" = 0.0.0.0 ] && bmc=""
fi
${renderBmcUserSetup()}

cat > /tmp/report.json <<JSON
{"version":${DISCOVERY_REPORT_VERSION},"mode":"$MODE","bootMac":"$(js "$BOOTMAC")","architecture":"$(js "$arch")","firmware":"$firmware","cpus":$cpus,"cpuModel":"$(js "$cpumodel")","memoryMib":$mem,"interfaces":[$ifaces],"disks":[$disks],"dmi":{"vendor":"$(dmi sys_vendor)","product":"$(dmi product_name)","serial":"$(dmi product_serial)"},"bmcAddress":"$(js "$bmc")","bmcUsername":"$(js "$bmcuser")","bmcPassword":"$(js "$bmcpass")","token":"$(js "$(arg orchestra.token)")"}
JSON
# The console is kept and shown (GetConsoleOutput): never the BMC password or the token.
log "report: $(sed -e 's/"bmcPassword":"[^"]*"/"bmcPassword":"********"/' -e 's/"token":"[^"]*"/"token":"********"/' /tmp/report.json)"

${renderReportDelivery()}
`;
}

/**
 * Seconds the ramdisk waits before each retry of its report. A rack or a row powering on at
 * once meets the server's enlistment rate limits (429) and its queue: the retries back off
 * and go on for about four minutes before the report counts as lost (it was five tries two
 * seconds apart, which a storm of a thousand machines outlasted: tests/bench/enlist-storm.ts).
 */
export const ENLIST_RETRY_DELAYS_S: readonly number[] = [2, 4, 8, 15, 30, 30, 30, 30, 30, 30, 30];

/**
 * The part of /init that delivers /tmp/report.json to $URL/enlist, retrying after each of
 * ENLIST_RETRY_DELAYS_S, then calls `finish` with the outcome. A function of its own so that
 * a test can run it against a server that refuses at first.
 */
export function renderReportDelivery(): string {
  return `for delay in ${ENLIST_RETRY_DELAYS_S.join(" ")} give-up; do
  if wget -q -O /tmp/reply --header "Content-Type: application/json" --post-file /tmp/report.json "$URL/enlist"; then
    finish "report delivered: $(cat /tmp/reply)"
  fi
  [ "$delay" = give-up ] && finish "could not deliver the report to $URL/enlist"
  log "report not delivered; retrying in $delay seconds"
  sleep "$delay"
done`;
}

/**
 * The part of /init that sets up Orchestra's BMC user in-band, given the BMC's address in
 * `$bmc` and a `log` function; it leaves the user and password in `$bmcuser` and `$bmcpass`,
 * both empty when it could not. A function of its own so that it can be run against a BMC
 * in a test.
 */
export function renderBmcUserSetup(): string {
  return `if [ -n "$bmc" ]; then
  # Like MAAS: a BMC user of Orchestra's own, with a fresh random password, reported with the
  # address. Its slot: the one already named orchestra, else the first unnamed one after the
  # anonymous user (1) and the vendor's admin (2). ipmitool's exit code is not trusted alone:
  # each step must also print its success line where it has one.
  slot=$(ipmitool user list 1 2>/dev/null | awk 'NR > 1 { id = substr($0, 1, 4) + 0; name = substr($0, 5, 17); gsub(/ /, "", name); if (name == "orchestra") { print id; found = 1; exit } if (name == "" && id > 2 && !free) free = id } END { if (!found && free) print free }')
  pass=$(tr -dc 'A-Za-z0-9' < /dev/urandom | head -c 16)
  if [ -n "$slot" ] && [ \${#pass} -eq 16 ] \\
    && ipmitool user set name "$slot" orchestra >/dev/null 2>&1 \\
    && ipmitool user set password "$slot" "$pass" 16 2>&1 | grep -q successful \\
    && ipmitool channel setaccess 1 "$slot" callin=on ipmi=on link=on privilege=4 2>&1 | grep -q successful \\
    && ipmitool user priv "$slot" 4 1 2>&1 | grep -q successful \\
    && ipmitool user enable "$slot" >/dev/null 2>&1; then
    bmcuser=orchestra; bmcpass=$pass
    log "BMC $bmc: user orchestra (slot $slot) set up"
  else
    log "BMC $bmc: could not set up a user for Orchestra; reporting its address only"
  fi
fi`;
}

/** udhcpc's event script: configure the lease on the interface, nothing more. */
export function renderUdhcpcScript(): string {
  return `#!/bin/sh
case "$1" in
  bound|renew)
    ifconfig "$interface" "$ip" netmask "\${subnet:-255.255.255.0}" up
    if [ -n "$router" ]; then
      for r in $router; do route add default gw "$r" dev "$interface"; break; done
    fi
    ;;
  deconfig)
    ifconfig "$interface" 0.0.0.0
    ;;
esac
exit 0
`;
}
