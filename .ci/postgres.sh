#!/usr/bin/env bash
# Installs (if needed) and starts a throwaway PostgreSQL server on a loopback port, and prints the
# URL the tests read from PARLEY_TEST_PG_URL. Must run as root (the server runs as `postgres`).
set -euo pipefail

port="${PARLEY_PG_PORT:-54329}"
data="${PARLEY_PG_DATA:-/tmp/parley-pg-data}"
password="parley-test"

if ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq postgresql >&2
fi
bin="$(dirname "$(ls -d /usr/lib/postgresql/*/bin/pg_ctl | sort -V | tail -n 1)")"
as_postgres() { runuser -u postgres -- "$@"; }

if ! as_postgres "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    rm -rf "$data"
    install -d -o postgres -g postgres "$data"
    printf '%s\n' "$password" >"$data.pw"
    chown postgres "$data.pw"
    as_postgres "$bin/initdb" -D "$data" -U postgres --auth=scram-sha-256 --pwfile="$data.pw" >&2
    as_postgres "$bin/pg_ctl" -D "$data" -l "$data/server.log" -w \
        -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$data" start >&2
fi
echo "postgres://postgres:$password@127.0.0.1:$port/postgres"
