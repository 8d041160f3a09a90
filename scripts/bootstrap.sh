#!/usr/bin/env bash
# Idempotent set-up on a fresh Debian/Ubuntu machine: system packages, a virtualenv in .venv, the kit.
# Used by both README commands (scripts/demo.sh, scripts/test.sh). Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"

# pcscd + the vpcd virtual reader + pyscard's build deps: the real PC/SC path for the card emulators.
# postgresql: the production store, tested beside SQLite.
# chromium + a CJK font: the browser tests of the dashboard and scanner bench (never `playwright install`);
# the font is also the one the node embeds in the weekly notice PDF (reference_node/supervision/notice.py).
APT_PACKAGES=(pcscd libpcsclite-dev swig vsmartcard-vpcd pcsc-tools postgresql chromium fonts-wqy-microhei)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "bootstrap: installing Debian packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  echo "bootstrap: creating .venv with $($PYTHON --version)"
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
echo "bootstrap: installing the kit and its test tools into .venv"
.venv/bin/python -m pip install -q -e ".[all,test]"
echo "bootstrap: ready ($(.venv/bin/ehc --version))"
