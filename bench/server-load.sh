#!/usr/bin/env bash
# Load on `parley serve` over loopback: 64 keep-alive connections for 60 s (SECONDS_OF_LOAD,
# CONNECTIONS), mixed reads (status as of now and as of a past round, claims, /healthz) and stance
# writes from four parties, on SQLite and, when PARLEY_TEST_PG_URL names a PostgreSQL server, on
# PostgreSQL. After each run: `parley verify` passes and the events appended equal the acknowledged
# writes exactly. Prints one JSON report per backend (examples/load.rs); the figures and the
# machine's load go to bench/results/server-load.md by hand.
#
#   bench/server-load.sh                   # release build, 60 s per backend
#   SECONDS_OF_LOAD=10 bench/server-load.sh
#   TARGET_DIR=/tmp/target bench/server-load.sh   # binaries built there, no build
#   MIX=write=1 bench/server-load.sh               # every connection writes (load.rs --mix)
#   BACKENDS=postgresql bench/server-load.sh       # one backend only (sqlite, postgresql)
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${SECONDS_OF_LOAD:-60}"
connections="${CONNECTIONS:-64}"
# TARGET_DIR: binaries already built there (e.g. by a quicker profile) instead of a release build.
if [ -n "${TARGET_DIR:-}" ]; then
    parley="$TARGET_DIR/release/parley"
    load="$TARGET_DIR/release/examples/load"
else
    cargo build --quiet --release -p parley-cli --bin parley
    cargo build --quiet --release -p parley-server --example load
    parley=target/release/parley
    load=target/release/examples/load
fi
work="$(mktemp -d)"
server_pid=""
cleanup() {
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

# One run on the database $1 (a file or a URL), named $2.
run() {
    local db="$1" name="$2"
    "$parley" import scenarios/ukraine-2025.toml --db "$db" >/dev/null
    : >"$work/tokens"
    echo "public $("$parley" token create --db "$db" --negotiation ukraine-2025 --as public --label "load public")" >>"$work/tokens"
    for party in UA RU US E3; do
        echo "$party $("$parley" token create --db "$db" --negotiation ukraine-2025 --as "$party" --write --label "load $party")" >>"$work/tokens"
    done
    local before after
    before="$("$parley" log --db "$db" --negotiation ukraine-2025 --json | wc -l)"
    "$parley" serve --db "$db" --bind 127.0.0.1:0 >"$work/serve.out" 2>"$work/serve.err" &
    server_pid=$!
    local url=""
    for _ in $(seq 1 100); do
        url="$(sed -n '1s/^parley serve: http:\/\/\([^ ]*\).*/\1/p' "$work/serve.out")"
        [ -n "$url" ] && break
        sleep 0.1
    done
    [ -n "$url" ] || { echo "the server printed no address"; cat "$work/serve.err"; exit 1; }
    echo "== $name: $connections connections, $seconds s, load average before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
    "$load" --address "$url" --negotiation ukraine-2025 --tokens "$work/tokens" --seconds "$seconds" \
        --connections "$connections" --past geneva --writers UA,RU,US,E3 ${MIX:+--mix "$MIX"} >"$work/report.json"
    echo "== $name: load average after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
    kill -TERM "$server_pid"
    wait "$server_pid" || true
    server_pid=""
    after="$("$parley" log --db "$db" --negotiation ukraine-2025 --json | wc -l)"
    "$parley" verify --db "$db" >/dev/null
    local acknowledged
    acknowledged="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["write"]["appended"])' "$work/report.json")"
    echo "{\"backend\": \"$name\", \"events_appended\": $((after - before)), \"acknowledged_writes\": $acknowledged, \"verify\": \"ok\", \"report\": $(cat "$work/report.json")}"
    if [ "$((after - before))" -ne "$acknowledged" ]; then
        echo "$name: $((after - before)) events appended, $acknowledged writes acknowledged" >&2
        exit 1
    fi
}

backends="${BACKENDS:-sqlite postgresql}"
case " $backends " in *" sqlite "*) run "$work/load.db" sqlite ;; esac
if [ -n "${PARLEY_TEST_PG_URL:-}" ] && [[ " $backends " == *" postgresql "* ]]; then
    base="${PARLEY_TEST_PG_URL%/*}"
    name="parley_load_$$"
    psql_url="$PARLEY_TEST_PG_URL"
    # A fresh database on that server; `parley import` creates the schema in it.
    if command -v psql >/dev/null; then
        psql -q "$psql_url" -c "DROP DATABASE IF EXISTS $name" -c "CREATE DATABASE $name"
        run "$base/$name" postgresql
        psql -q "$psql_url" -c "DROP DATABASE IF EXISTS $name WITH (FORCE)"
    else
        echo "psql is not installed: skipping PostgreSQL" >&2
    fi
fi
