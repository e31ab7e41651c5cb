#!/usr/bin/env bash
# Print the URL of a PostgreSQL server the tests may use, starting one if needed.
#
# 1. $ZORGID_TEST_POSTGRES (default postgresql://postgres@127.0.0.1:5432/postgres) if it
#    answers: CI and our machines run PostgreSQL there.
# 2. Otherwise a throw-away cluster in .pgtest/ on port 55432 (trust auth, loopback only),
#    installing Debian's postgresql package first if initdb is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

url="${ZORGID_TEST_POSTGRES:-postgresql://postgres@127.0.0.1:5432/postgres}"
reachable() {
    .venv/bin/python - "$1" <<'PY' 2>/dev/null
import sys, psycopg
psycopg.connect(sys.argv[1], connect_timeout=3).close()
PY
}
if reachable "$url"; then echo "$url"; exit 0; fi

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
initdb=$(ls /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$initdb" ]; then
    as_root apt-get update -qq >&2
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
    initdb=$(ls /usr/lib/postgresql/*/bin/initdb | sort -V | tail -n 1)
fi
bindir=$(dirname "$initdb")
port=55432
dir="$PWD/.pgtest"
# initdb refuses to run as root: run the throw-away cluster as the postgres user then.
run_as=()
if [ "$(id -u)" = 0 ]; then run_as=(runuser -u postgres --); fi
local_url="postgresql://postgres@127.0.0.1:${port}/postgres"
if reachable "$local_url"; then echo "$local_url"; exit 0; fi
if [ ! -f "$dir/PG_VERSION" ]; then
    rm -rf "$dir"; mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres "$dir"
    "${run_as[@]}" "$bindir/initdb" -D "$dir" -A trust -U postgres >/dev/null
fi
"${run_as[@]}" "$bindir/pg_ctl" -D "$dir" -l "$dir/server.log" -w \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1" start >&2
echo "$local_url"
