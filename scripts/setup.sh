#!/usr/bin/env bash
# Create .venv and install zorgid-cards. On a bare Debian/Ubuntu machine it first installs
# python3-venv; with --test also what the test suite talks to for real: pcscd with the
# vpcd virtual reader, OpenSC, nginx, curl, Chromium with its driver, systemd (whose
# systemd-analyze checks the units under deploy/), SoftHSM2 (an HSM for the card CA's
# key), yubico-piv-tool, and the PC/SC headers
# pyscard builds against (with sudo only when not root).
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
apt_install() {
    missing=()
    for package in "$@"; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
            || missing+=("$package")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        as_root apt-get update -qq
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
    fi
}

if ! python3 -c 'import sys; assert sys.version_info >= (3, 11)' 2>/dev/null; then
    echo "zorgid-cards needs Python 3.11 or newer; found: $(python3 --version 2>&1)" >&2
    exit 1
fi
if ! python3 -c 'import ensurepip, venv' 2>/dev/null; then
    apt_install python3-venv python3-pip
fi
extras=""
if [ "${1:-}" = "--test" ]; then
    apt_install pcscd vsmartcard-vpcd libpcsclite-dev opensc gcc python3-dev nginx-light curl \
        chromium chromium-driver systemd yubico-piv-tool softhsm2
    extras="[test]"
fi
if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e ".${extras}"
touch ".venv/.installed${extras:+-test}"
