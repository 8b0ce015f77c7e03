#!/usr/bin/env bash
# Installs the Debian packages the test suite needs (real dnsmasq, qemu, ipmi_sim, the AWS
# CLI, boto3 ...). Idempotent: does nothing when they are all present already.
set -euo pipefail

PACKAGES=(
  ca-certificates
  postgresql
  awscli
  python3-boto3
  openssh-client
  # Network boot, discovery and the lab (lib/boot, lib/images, lib/lab, tests/e2e).
  iproute2
  dnsmasq-base
  ipxe
  ipxe-qemu
  qemu-system-x86
  ovmf
  busybox-static
  linux-image-amd64
  ipmitool
  cpio
  # Image fan-out (lib/fanout, issue 17): aria2c is the BitTorrent client the deploy ramdisk
  # carries and the seeder `orchestra serve --fanout` runs; its tests run real aria2c swarms.
  aria2
  # The boot-file benchmark's peer (tests/bench/boot-http.ts).
  nginx-light
  # Power drivers' tests: a real BMC simulator, both IPMI clients (ipmitool and
  # qemu-system-x86 are listed above), and cloud-init's own EC2 code for the metadata service.
  openipmi
  freeipmi-tools
  tcpdump
  cloud-init
  # The OS disk image (lib/images/build-os-image.ts): debootstrap, the FAT boot partition and
  # syslinux (mtools writes into the image file; nothing is mounted), the ext4 root, the MBR.
  debootstrap
  syslinux
  syslinux-common
  mtools
  dosfstools
  e2fsprogs
  fdisk
  # xz-compressed disk images: the deploy ramdisk streams them, and an image's disk need is
  # read from their index (tests/images/disk-image-format.test.ts makes them with xz).
  xz-utils
  # Packing the charm (zip, unzip/zipinfo) and checking its POSIX dispatch (dash); the
  # fake hook tools are bash scripts.
  zip
  unzip
  dash
  bash
  # The web dashboard's browser tests (tests/dashboard): Debian's chromium, driven headless by
  # puppeteer-core (npm), which downloads no browser of its own.
  chromium
  # Infrastructure-as-code clients of the EC2 API (tests/ec2/e2e/ansible.test.ts): Debian's
  # Ansible carries the amazon.aws collection (ec2_instance) and runs on python3-boto3.
  ansible
  # Signing the simplestreams image index Juju reads (lib/images/simplestreams-*.ts), and
  # checking the signatures (gpgv) in its test.
  gpg
  gpgv
  # systemd-analyze checks the vendor-data's systemd drop-in (tests/metadata/vendor-data.test.ts).
  systemd
  # The MAAS API is proven with Juju's own MAAS client library, built offline from Debian's
  # Go sources (tests/maas/helpers/gomaasapi-client.ts; GO111MODULE=off, /usr/share/gocode).
  golang-go
  golang-github-juju-gomaasapi-dev
  # The integration suite's real units (lib/testing/units, tests/integration): systemd-nspawn
  # boots them, debootstrap builds their root, dpkg-dev indexes the local apt repository
  # (dpkg-scanpackages), util-linux's flock/nsenter and openssl/curl act as clients.
  systemd-container
  dpkg-dev
  util-linux
  openssl
  curl
  # The charm's daemons checked for real by tests/charm: WebDAV served by a real nginx with
  # Debian's dav-ext module (PROPFIND), `squid -k parse` and `rsyslogd -N1` on the files the
  # charm renders.
  libnginx-mod-http-dav-ext
  squid
  rsyslog
  rsyslog-gnutls
  # The lab's managed node (tests/e2e/lab-managed-node.test.ts): a real puppetserver signs the
  # VM's agent through Orchestra's autosign policy (its JVM: default-jre-headless, a dependency).
  puppetserver
  # Packing the charm strips its Node (strip), and the pack test checks it (file).
  binutils
  file
)

missing=()
for package in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} Debian packages present"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: need root to install: ${missing[*]}" >&2
  exit 1
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# The tests start every daemon they need themselves, on their own ports: a package's postinst
# must not start its service on the host (squid on 3128, nginx on 80 ...) and leave it running.
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy"
  trap 'rm -f "$policy"' EXIT
fi
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
