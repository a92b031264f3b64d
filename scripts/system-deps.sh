#!/usr/bin/env bash
# System packages the test suite needs, installed once and cached by apt.
# Nothing here downloads anything but Debian packages.
set -euo pipefail
need=()
# chromium: the browser the Playwright tests drive (Playwright's own download cannot work offline).
# python-cartopy-data: GSHHS coastlines for the offline globe. ffmpeg comes from the imageio-ffmpeg wheel.
for pkg in "$@"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if ((${#need[@]})); then
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}"
fi
