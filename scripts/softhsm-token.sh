#!/usr/bin/env bash
# A SoftHSM2 token for the card CA's key, for `make run HSM=1` and for trying the HSM
# path by hand: scripts/softhsm-token.sh DIR LABEL makes DIR/softhsm2.conf and a token
# LABEL stored under DIR/tokens (unless it is there), with the user PIN from
# $ZORGID_PKCS11_PIN (never an argument: arguments are visible to every user), and prints
# the line to export. Installs Debian's softhsm2 and opensc when they are missing.
set -euo pipefail
dir=${1:?usage: softhsm-token.sh DIR LABEL}
label=${2:?usage: softhsm-token.sh DIR LABEL}
: "${ZORGID_PKCS11_PIN:?set ZORGID_PKCS11_PIN to the token PIN to use}"
if ! command -v softhsm2-util >/dev/null || ! command -v pkcs11-tool >/dev/null; then
    as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq softhsm2 opensc
fi
mkdir -p "$dir/tokens"
chmod 700 "$dir" "$dir/tokens"
dir=$(cd "$dir" && pwd)
printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' \
    "$dir" > "$dir/softhsm2.conf"
export SOFTHSM2_CONF="$dir/softhsm2.conf"
module=/usr/lib/softhsm/libsofthsm2.so
if ! pkcs11-tool --module "$module" -L 2>/dev/null | grep -q "token label *: $label\$"; then
    # the security officer's PIN only re-initialises the token: a random one. OpenSC's
    # pkcs11-tool takes PINs as env:NAME, so none is ever a process argument.
    ZORGID_SO_PIN=$(od -An -N8 -tu8 /dev/urandom | tr -d ' ')
    export ZORGID_SO_PIN
    free=$(pkcs11-tool --module "$module" -L | awk '/^Slot /{i++} /uninitialized/{print i-1; exit}')
    pkcs11-tool --module "$module" --slot-index "$free" --init-token --label "$label" \
        --so-pin env:ZORGID_SO_PIN >/dev/null
    pkcs11-tool --module "$module" --token-label "$label" --login --init-pin \
        --so-pin env:ZORGID_SO_PIN --new-pin env:ZORGID_PKCS11_PIN >/dev/null
fi
echo "export SOFTHSM2_CONF=$SOFTHSM2_CONF"
