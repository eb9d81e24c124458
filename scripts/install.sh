#!/usr/bin/env bash
# Install everything mkdocs-hybrid and its tests need on a fresh Debian machine:
# Debian's Chromium (browser tests), the pinned npm toolchain (esbuild, esbuild-wasm, wrangler)
# and the Python package with its test extras. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x /usr/lib/chromium/chromium-headless-shell ]; then
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends \
    chromium chromium-headless-shell fonts-dejavu-core >/dev/null
fi

npm ci --no-audit --no-fund --loglevel=error
python3 -m pip install --quiet --disable-pip-version-check -e '.[test,dask]'
