#!/usr/bin/env bash
# Installs the system packages hm-dist builds against (Debian/Ubuntu), if any is missing.
set -euo pipefail
# chromium: the test that opens `hm-dist report`'s page in a real (headless) browser.
packages=(libopenmpi-dev openmpi-bin libzstd-dev zstd libopenblas-dev pkg-config zlib1g-dev chromium)
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing: ${missing[*]}"
if [ "$(id -u)" -eq 0 ]; then sudo=""; elif command -v sudo >/dev/null; then sudo="sudo"; else
  echo "error: missing packages ${missing[*]}; install them as root: apt-get install ${missing[*]}" >&2
  exit 1
fi
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
