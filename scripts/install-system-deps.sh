#!/usr/bin/env bash
# Install the Debian packages flowbot needs, only when something is missing (idempotent).
# Xvfb (a virtual display for FLOW_HEADED=true) is installed only when asked: FLOW_HEADED=true
# in the environment or in .env, or WITH_XVFB=1 (the test suite's headed-mode tests use it).
set -euo pipefail
PACKAGES=(ffmpeg chromium fonts-dejavu-core ca-certificates)
truthy() { [[ "${1,,}" =~ ^(1|true|yes|on)$ ]]; }
headed="${FLOW_HEADED:-}"
if [ -z "$headed" ] && [ -f .env ]; then
  headed="$(sed -n 's/^[[:space:]]*FLOW_HEADED[[:space:]]*=[[:space:]]*["'\'']\{0,1\}\([A-Za-z0-9]*\).*/\1/p' .env | tail -n1)"
fi
if truthy "${WITH_XVFB:-}" || truthy "$headed"; then
  PACKAGES+=(xvfb)
fi
missing=()
for pkg in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
# Debian's own python3 needs python3-venv for `python3 -m venv` (pyenv/official builds ship it).
if ! python3 -c "import ensurepip, venv" >/dev/null 2>&1; then
  missing+=(python3-venv)
fi
[ ${#missing[@]} -eq 0 ] && exit 0
echo "Installing system packages: ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
