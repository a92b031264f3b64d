#!/usr/bin/env bash
# System packages the test suite needs, installed once and cached by apt.
# Nothing here downloads anything but Debian packages.
set -euo pipefail
need=()
# ffmpeg comes from the imageio-ffmpeg wheel; chromium (browser tests) and cartopy data arrive with the
# dashboard issue and are added here then.
for pkg in "$@"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if ((${#need[@]})); then
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}"
fi
