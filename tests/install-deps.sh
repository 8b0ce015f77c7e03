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
  # Packing the charm (zip, unzip/zipinfo) and checking its POSIX dispatch (dash); the
  # fake hook tools are bash scripts.
  zip
  unzip
  dash
  bash
  # The charm's daemons checked for real by tests/charm: WebDAV served by a real nginx with
  # Debian's dav-ext module (PROPFIND), `squid -k parse` and `rsyslogd -N1` on the files the
  # charm renders.
  libnginx-mod-http-dav-ext
  squid
  rsyslog
  rsyslog-gnutls
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
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
