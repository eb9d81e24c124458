#!/usr/bin/env bash
# Install everything mkdocs-hybrid and its tests need on a fresh Debian machine:
# Debian's Chromium (posters, browser tests) and ffmpeg (videos), the pinned npm toolchain (esbuild, esbuild-wasm, wrangler)
# and the Python package with its test extras, in a project virtual environment (.venv).
# Debian's own python3 is "externally managed" (PEP 668) and refuses system-wide pip installs,
# so nothing here installs into the system Python. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
VENV=.venv

sudo_cmd=""
[ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
apt_packages=()
[ -x /usr/lib/chromium/chromium-headless-shell ] || apt_packages+=(chromium chromium-headless-shell fonts-dejavu-core)
# ffmpeg (with ffprobe): video previews and attached videos (mkdocs_hybrid/media).
command -v ffprobe >/dev/null || apt_packages+=(ffmpeg)
# bubblewrap: esbuild runs where it sees only the build folder and the pinned packages (confinement.py).
command -v bwrap >/dev/null || apt_packages+=(bubblewrap)
# Debian splits venv/ensurepip out of python3 (package python3-venv).
if [ ! -x "$VENV/bin/python" ] && ! "$PYTHON" -c 'import ensurepip, venv' 2>/dev/null; then
  apt_packages+=(python3-venv)
fi
if [ "${#apt_packages[@]}" -gt 0 ]; then
  source scripts/lib/apt.sh
  apt_get update -qq
  DEBIAN_FRONTEND=noninteractive apt_get install -y -qq --no-install-recommends "${apt_packages[@]}"
fi

"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 10))' \
  || { echo "install.sh: $PYTHON is older than Python 3.10; set PYTHON=python3.x" >&2; exit 2; }

npm ci --no-audit --no-fund --loglevel=error

# A venv left half-made by an interrupted run has no working pip: make it again.
if ! "$VENV/bin/python" -m pip --version >/dev/null 2>&1; then
  rm -rf "$VENV"
  "$PYTHON" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e '.[test,dask]'
