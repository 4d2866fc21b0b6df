#!/usr/bin/env bash
# Installs everything khuyenhoc needs on a fresh Debian 12 machine (run as root, or with sudo):
# Debian packages for the C++ build, then a virtual environment .venv with the Python tools.
# Safe to run again: it installs only what is missing. Source it to get the venv on PATH.
set -euo pipefail
KHUYENHOC_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export KHUYENHOC_ROOT

apt_packages=(
  build-essential pkg-config git python3 python3-dev python3-venv
  libeigen3-dev libboost-date-time-dev libgtest-dev libgmock-dev libbenchmark-dev
  libyaml-cpp-dev libicu-dev libcli11-dev clang libclang-rt-14-dev
  libssl-dev  # the CLI's SHA-256 of the selection report's inputs (libcrypto)
  chromium    # tests/python/test_report.py renders the selection report in a headless browser
  abigail-tools  # abidw/abidiff: the C ABI check against abi/libkhuyenhoc_c.abi (ctest c_abi_check)
  php8.2-cli     # PHP FFI calling the C ABI (tests/python/test_c_api.py), as school systems do
)
missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing Debian packages: ${missing[*]}"
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

venv="$KHUYENHOC_ROOT/.venv"
if [ ! -x "$venv/bin/python" ]; then
  echo "setup: creating $venv"
  python3 -m venv "$venv"
fi
req="$KHUYENHOC_ROOT/scripts/requirements-dev.txt"
stamp="$venv/.requirements-dev.sha256"
if ! sha256sum --status -c "$stamp" 2>/dev/null; then
  echo "setup: installing Python packages from scripts/requirements-dev.txt"
  "$venv/bin/python" -m pip install -q --upgrade pip
  "$venv/bin/python" -m pip install -q -r "$req"
  sha256sum "$req" >"$stamp"
fi
export PATH="$venv/bin:$PATH"
export VIRTUAL_ENV="$venv"
