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
