#!/usr/bin/env bash
# Installs (if needed) and starts a throwaway PostgreSQL server on a loopback port, and prints the
# URL the tests read from PARLEY_TEST_PG_URL. Must run as root (the server runs as `postgres`).
# The server also takes TLS (plain connections keep working): a throwaway CA signs its certificate
# for 127.0.0.1 and localhost; the CA's certificate is written to "$data-tls/ca.crt" (by default
# /tmp/parley-pg-data-tls/ca.crt), which the tests read from PARLEY_TEST_PG_CA.
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
# TLS: a CA and a server certificate made once, then `ssl = on` (a reload suffices for a running
# server, so tests already connected are not disturbed).
tls="$data-tls"
if ! command -v openssl >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssl >&2
fi
if [ ! -s "$tls/ca.crt" ] || [ ! -s "$data/server.crt" ]; then
    rm -rf "$tls"
    install -d -m 700 "$tls"
    ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
    openssl req -x509 -new "${ec[@]}" -keyout "$tls/ca.key" -out "$tls/ca.crt" -days 3650 \
        -subj /CN=parley-test-ca -addext basicConstraints=critical,CA:TRUE \
        -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
    openssl req -new "${ec[@]}" -keyout "$tls/server.key" -out "$tls/server.csr" -subj /CN=localhost 2>/dev/null
    printf '%s\n' "subjectAltName=DNS:localhost,IP:127.0.0.1" "extendedKeyUsage=serverAuth" \
        "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature" >"$tls/server.ext"
    openssl x509 -req -in "$tls/server.csr" -CA "$tls/ca.crt" -CAkey "$tls/ca.key" -CAcreateserial \
        -days 3650 -extfile "$tls/server.ext" -out "$tls/server.crt" 2>/dev/null
    chmod 755 "$tls"
    chmod 644 "$tls/ca.crt"
    install -o postgres -g postgres -m 600 "$tls/server.crt" "$data/server.crt"
    install -o postgres -g postgres -m 600 "$tls/server.key" "$data/server.key"
fi
if ! grep -q '^ssl = on' "$data/postgresql.conf"; then
    printf '%s\n' "ssl = on" "ssl_cert_file = 'server.crt'" "ssl_key_file = 'server.key'" >>"$data/postgresql.conf"
    as_postgres "$bin/pg_ctl" -D "$data" reload >&2
    sleep 1
fi
echo "postgres://postgres:$password@127.0.0.1:$port/postgres"
