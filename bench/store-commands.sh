#!/usr/bin/env bash
# Time the database commands end to end on a long history: import, status (from the file, from the
# database with and without a checkpoint), verify, export, and re-importing the export.
#
# Usage: bench/store-commands.sh [--skip-build] [STANCES]
#
#   --skip-build   use the existing target/release/parley (or $PARLEY_BIN)
#   STANCES        stances added to the 2025 scenario (default 100000), one event each
#
# Environment: PARLEY_BIN (default target/release/parley), RUNS (timed runs per command, median
# reported, default 5), PARLEY_TEST_PG_URL (also run on that PostgreSQL server, in a fresh
# database), PYTHON (default python3; only the standard library is used).
#
# The markdown table goes to stdout and to bench/results/store-commands.md; the scenario and the
# databases stay in bench/results/store-commands.tmp/.

set -euo pipefail
export LC_ALL=C

bench_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_dir=$(dirname "$bench_dir")
parley=${PARLEY_BIN:-$repo_dir/target/release/parley}
python=${PYTHON:-python3}
runs=${RUNS:-5}
work_dir=$bench_dir/results/store-commands.tmp
results_file=$bench_dir/results/store-commands.md

skip_build=false
stances=100000
for argument in "$@"; do
    case $argument in
        --skip-build) skip_build=true ;;
        -h | --help) sed -n '2,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *[!0-9]* | '') echo "unknown argument: $argument (see --help)" >&2; exit 2 ;;
        *) stances=$argument ;;
    esac
done

if ! $skip_build; then
    (cd "$repo_dir" && cargo build --release -p parley-cli --quiet)
fi
rm -rf "$work_dir"
mkdir -p "$work_dir"
cd "$work_dir"

# The 2025 scenario plus one public stance per line of history, each distinct (its own note).
"$python" - "$repo_dir/scenarios/ukraine-2025.toml" "$stances" > long.toml <<'EOF'
import sys
source, count = sys.argv[1], int(sys.argv[2])
out = sys.stdout
out.write(open(source, encoding="utf-8").read())
positions = ["accepts", "opposes", "undecided", "accepts-with-reservations"]
for n in range(count):
    out.write(
        f'\n[[stances]]\nparty = "{["UA", "RU"][n % 2]}"\nitem = {1 + n % 28}\n'
        f'position = "{positions[n % 4]}"\ndate = 2026-02-{1 + n % 28:02d}\nnote = "stance {n}"\n'
    )
EOF

# Seconds taken by one run of a command (its output discarded; a failure stops the script).
seconds() {
    local start=$EPOCHREALTIME
    "$@" > /dev/null
    awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.4f", b - a }'
}

# The median of `runs` runs of a command, each after running `prepare` (not timed).
median() {
    local prepare=$1
    shift
    local times=()
    for _ in $(seq "$runs"); do
        $prepare
        times+=("$(seconds "$@")")
    done
    printf '%s\n' "${times[@]}" | sort -n | awk '{ t[NR] = $1 } END { printf "%.1f", 1000 * t[int((NR + 1) / 2)] }'
}

nothing() { :; }

# Removes the checkpoints of a database (SQLite file or PostgreSQL URL), outside the timing.
forget_checkpoints() {
    if [[ $db == postgres* ]]; then
        psql "$db" -qc "DELETE FROM checkpoints" > /dev/null
    else
        "$python" -c 'import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute("DELETE FROM checkpoints"); c.commit()' "$db"
    fi
}

rows=()
row() { rows+=("| $1 | $2 | $3 |"); printf '%-12s %-58s %10s ms\n' "$1" "$2" "$3" >&2; }

file_status=$(median nothing "$parley" status long.toml --json)
row file "status long.toml (parse $(du -h long.toml | cut -f1) and compute)" "$file_status"

run_backend() {
    local name=$1
    db=$2
    local import_ms
    import_ms=$(awk -v s="$(seconds "$parley" import long.toml --db "$db")" 'BEGIN { printf "%.1f", 1000 * s }')
    local events
    events=$("$parley" verify --db "$db" --json | "$python" -c 'import json, sys; print(json.load(sys.stdin)["negotiations"][0]["events"])')
    row "$name" "import ($events events, $(awk -v e="$events" -v t="$import_ms" 'BEGIN { printf "%.0f", e / (t / 1000) }') events/s)" "$import_ms"
    row "$name" "status --db, first read (folds every event, saves a checkpoint)" "$(median forget_checkpoints "$parley" status --db "$db" --json)"
    "$parley" status --db "$db" > /dev/null # leaves the checkpoint
    row "$name" "status --db, from the checkpoint" "$(median nothing "$parley" status --db "$db" --json)"
    row "$name" "verify (chain, signatures, checkpoint)" "$(median nothing "$parley" verify --db "$db")"
    row "$name" "export -o (fold, write, re-read)" "$(median nothing "$parley" export --db "$db" -o exported.toml)"
    row "$name" "import of the export (appends nothing)" "$(median nothing "$parley" import exported.toml --db "$db")"
    cmp <("$parley" status long.toml --json) <("$parley" status --db "$db" --json) > /dev/null \
        || { echo "$name: status from the database differs from the file" >&2; exit 1; }
}

run_backend sqlite "$work_dir/long.db"
if [[ -n ${PARLEY_TEST_PG_URL:-} ]]; then
    database=parley_store_bench_$$
    psql "$PARLEY_TEST_PG_URL" -qc "DROP DATABASE IF EXISTS $database" -c "CREATE DATABASE $database" > /dev/null
    run_backend postgres "${PARLEY_TEST_PG_URL%/*}/$database"
    psql "$PARLEY_TEST_PG_URL" -qc "DROP DATABASE $database" > /dev/null
fi

{
    echo "# Database commands on a long history"
    echo
    echo "The 2025 scenario plus $stances stances (one event each), $(nproc) cores, median of $runs runs"
    echo "(import: one run), whole commands including process start. Produced by \`bench/store-commands.sh\`."
    echo
    echo "| store | command | ms |"
    echo "|---|---|---|"
    printf '%s\n' "${rows[@]}"
} | tee "$results_file"
