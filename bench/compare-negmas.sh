#!/usr/bin/env bash
# Compare `parley analyze` with NegMAS 0.16.0 on the same GENIUS domains.
#
# Usage: bench/compare-negmas.sh [--setup-only] [--skip-build] [DOMAIN_DIR ...]
#
#   --setup-only   create bench/.venv with NegMAS 0.16.0 and stop
#   --skip-build   use the existing target/release/parley (or $PARLEY_BIN)
#   DOMAIN_DIR     domains to run instead of the default list; folders under
#                  negmas-generated/ get their solution points compared
#
# Environment: PARLEY_BENCH_DATA (default ../shared/data beside the repository), NEGMAS_TIMEOUT (seconds per
# domain, default 120), PARLEY_TIMEOUT (default 600), PARLEY_BIN (default
# target/release/parley), PYTHON (interpreter for the venv, default python3).
#
# For every domain, parley runs once under /usr/bin/time (wall seconds and peak RSS), then
# bench/negmas_side.py times NegMAS's Pareto frontier and four bargaining points in a worker
# process. The markdown table goes to stdout and to bench/results/negmas-comparison.md; the raw
# outputs stay in bench/results/negmas-comparison.tmp/.

set -euo pipefail
# A decimal point in $EPOCHREALTIME and awk output whatever the user's locale.
export LC_ALL=C

bench_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_dir=$(dirname "$bench_dir")
data_dir=${PARLEY_BENCH_DATA:-$(cd "$repo_dir/.." && pwd)/shared/data}
negmas_timeout=${NEGMAS_TIMEOUT:-120}
parley_timeout=${PARLEY_TIMEOUT:-600}
parley=${PARLEY_BIN:-$repo_dir/target/release/parley}
venv=$bench_dir/.venv
python=$venv/bin/python
results_dir=$bench_dir/results
work_dir=$results_dir/negmas-comparison.tmp
results_file=$results_dir/negmas-comparison.md

# Domains written by NegMAS's own writer: NegMAS and GENIUS semantics agree on them.
generated_domains=(
    negmas-generated/gen2p_1e3 negmas-generated/gen2p_1e4
    negmas-generated/gen2p_1e5 negmas-generated/gen2p_1e6
    negmas-generated/gen3p_1e3 negmas-generated/gen3p_1e4
    negmas-generated/gen3p_1e5 negmas-generated/gen3p_1e6
)
# ANAC domains NegMAS can enumerate, then spaces it cannot (it skips anything above 5e7
# outcomes): 5.8e6 (3 parties), 1e10, 1e30, 1e40 and 1e50 outcomes.
genius_domains=(
    genius/scenarios/anac/y2011/Energy
    genius/scenarios/anac/y2010/Travel
    genius/scenarios/anac/y2016/parsCat
    genius/scenarios/other/AMPOvsCity
    genius/scenarios/anac/y2016/AgentHp2
    genius/scenarios/anac/y2014/10issues
    genius/scenarios/other/S-1NAGUNL-128
    genius/scenarios/anac/y2014/50issues
    genius/scenarios/other/S-1NAGUNL-255
)

log() { printf '%s\n' "$*" >&2; }

setup_venv() {
    if [[ ! -x $python ]]; then
        log "creating $venv"
        "${PYTHON:-python3}" -m venv "$venv"
    fi
    if ! "$python" -c 'import importlib.metadata as m, sys; sys.exit(m.version("negmas") != "0.16.0")' \
        2>/dev/null; then
        log "installing negmas 0.16.0 into $venv"
        "$python" -m pip install --quiet --upgrade pip
        "$python" -m pip install --quiet 'negmas==0.16.0'
    fi
}

# Runs parley on one domain. Prints "EXIT WALL_SECONDS PEAK_RSS_KIB" ("-" when unknown).
measure_parley() {
    local dir=$1 stdout_file=$2 stderr_file=$3 time_file=$4
    local start end status wall rss
    if [[ -x /usr/bin/time ]]; then
        start=$EPOCHREALTIME
        set +e
        /usr/bin/time -f '%e %M' -o "$time_file" \
            timeout "$parley_timeout" "$parley" analyze "$dir" --json >"$stdout_file" 2>"$stderr_file"
        status=$?
        set -e
        end=$EPOCHREALTIME
        # GNU time puts "Command exited with non-zero status N" before the figures.
        read -r wall rss < <(tail -n 1 "$time_file") || true
        # %e has hundredths only: below 0.1 s, use the microsecond clock read around the
        # same run instead (it adds GNU time's own start, about a millisecond).
        wall=$(awk -v coarse="${wall:--}" -v start="$start" -v end="$end" \
            'BEGIN { if (coarse == "-" || coarse < 0.1) printf "%.4f", end - start; else print coarse }')
        echo "$status $wall ${rss:--}"
    else
        # Without GNU time, one Python parent reads the wall clock and the child's peak RSS
        # (getrusage RUSAGE_CHILDREN) of a single run; bash's `time` knows nothing of memory.
        "$python" -c '
import resource, subprocess, sys, time
timeout, stdout_path, stderr_path, command = float(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4:]
with open(stdout_path, "wb") as out, open(stderr_path, "wb") as err:
    start = time.perf_counter()
    try:
        status = subprocess.run(command, stdout=out, stderr=err, timeout=timeout).returncode
    except subprocess.TimeoutExpired:
        status = 124  # what coreutils timeout reports
    wall = time.perf_counter() - start
print(status, f"{wall:.4f}", resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
' "$parley_timeout" "$stdout_file" "$stderr_file" "$parley" analyze "$dir" --json
    fi
}

machine_description() {
    local model
    model=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true)
    printf '%s cores (nproc), %s, %s GiB RAM' "$(nproc)" "${model:-unknown CPU}" \
        "$(awk '/^MemTotal/ { printf "%.1f", $2 / 1048576 }' /proc/meminfo 2>/dev/null || echo '?')"
}

main() {
    local setup_only=false skip_build=false
    local -a domains=()
    while (($#)); do
        case $1 in
        --setup-only) setup_only=true ;;
        --skip-build) skip_build=true ;;
        -h | --help)
            sed -n '2,/^$/s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"
            return 0
            ;;
        -*)
            log "unknown option $1 (see --help)"
            return 2
            ;;
        *) domains+=("$1") ;;
        esac
        shift
    done

    setup_venv
    if $setup_only; then
        return 0
    fi
    if ! $skip_build; then
        (cd "$repo_dir" && cargo build --release -p parley-cli)
    fi
    if [[ ! -x $parley ]]; then
        log "no parley binary at $parley"
        return 1
    fi
    if ((${#domains[@]} == 0)); then
        for domain in "${generated_domains[@]}" "${genius_domains[@]}"; do
            domains+=("$data_dir/$domain")
        done
    fi

    rm -rf "$work_dir"
    mkdir -p "$work_dir"
    local manifest=$work_dir/manifest.tsv
    : >"$manifest"

    local index=0 dir label kind prefix measured status wall rss negmas_summary
    for dir in "${domains[@]}"; do
        index=$((index + 1))
        dir=${dir%/}
        label=$(basename "$dir")
        kind=genius
        [[ $dir == */negmas-generated/* ]] && kind=generated
        prefix=$work_dir/$(printf '%02d' "$index")-$label
        log "[$index/${#domains[@]}] $label"

        measured=$(measure_parley "$dir" "$prefix.parley.json" "$prefix.parley.stderr" "$prefix.time")
        read -r status wall rss <<<"$measured"
        log "    parley: exit $status, ${wall} s, ${rss} KiB"

        # negmas_side.py reports every failure in its record; `|| true` only guards against
        # the script itself dying, which compare_table.py then reports for this domain.
        "$python" "$bench_dir/negmas_side.py" --timeout "$negmas_timeout" --all-outcomes-frontier \
            "$dir" >"$prefix.negmas.json" 2>"$prefix.negmas.stderr" || true
        negmas_summary=$("$python" -c '
import json, sys
try:
    r = json.loads(open(sys.argv[1]).read())
    print(r["status"], "%.3f s" % r["times"]["analysis"] if r["status"] == "ok" else r.get("error") or "")
except Exception as error:
    print("no record:", error)
' "$prefix.negmas.json")
        log "    negmas: $negmas_summary"

        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$label" "$kind" "$dir" "$status" "$wall" \
            "$rss" "$prefix.parley.json" "$prefix.parley.stderr" "$prefix.negmas.json" >>"$manifest"
    done

    local table commit
    table=$("$python" "$bench_dir/compare_table.py" "$manifest")
    commit=$(git -C "$repo_dir" describe --always --dirty 2>/dev/null || echo unknown)
    {
        echo "# parley vs NegMAS 0.16.0: Pareto frontier and bargaining points"
        echo
        echo "- Date: $(date -u '+%Y-%m-%d %H:%M UTC')"
        echo "- Machine: $(machine_description)"
        echo "- parley: commit $commit, \`parley analyze DIR --json\`, release build"
        echo "- NegMAS: $("$python" -c 'import importlib.metadata as m; print(m.version("negmas"))'), $("$python" --version)"
        echo "- Timeouts: NegMAS ${negmas_timeout} s per domain, parley ${parley_timeout} s"
        echo
        echo "$table"
        echo
        echo "How to read it:"
        echo
        echo "- parley wall s and peak MiB cover the whole process (start, loading, analysis),"
        if [[ -x /usr/bin/time ]]; then
            echo "  from \`/usr/bin/time -f '%e %M'\`; runs under 0.1 s are timed to the microsecond"
            echo "  around the same run, since GNU time prints hundredths only."
        else
            echo "  measured by a Python parent (\`time.perf_counter\`, \`getrusage(RUSAGE_CHILDREN)\`)"
            echo "  as /usr/bin/time was missing."
        fi
        echo "- parley s (frontier + 4 points) is parley's own in-process timing of the same work"
        echo "  (\`timings.frontier_and_solutions_s\` in \`parley analyze --json\`); the whole command"
        echo "  also loads the files and counts the rational outcomes exactly."
        echo "- NegMAS s is the frontier (\`negmas.preferences.ops.pareto_frontier\`) plus"
        echo "  \`nash_points\`, \`ks_points\`, \`kalai_points\` (egalitarian) and \`max_welfare_points\`,"
        echo "  timed with \`time.perf_counter\` in a forked worker; the interpreter start, the NegMAS"
        echo "  import and loading the domain are not included, so the whole-command ratio favours NegMAS."
        echo "  NegMAS enumerates every outcome, so spaces above 5e7 outcomes are skipped."
        echo "- Frontier sizes count distinct utility vectors over all outcomes on both sides (NegMAS's"
        echo "  counted again, untimed, with reservation values removed). NegMAS's own frontier keeps"
        echo "  rational outcomes only; when that changes a count, \"rational X vs Y\" follows."
        echo "- Points are compared on the NegMAS-generated domains only, where NegMAS reads the"
        echo "  files as GENIUS does. Elsewhere NegMAS leaves discrete evaluations unnormalised and"
        echo "  differs in other ways (see the GENIUS format notes), so its utilities are on other scales."
        echo "  Even there, NegMAS's KS point minimises the spread of relative gains rather than"
        echo "  maximising the smallest one, and measures gains against the best utility over all"
        echo "  outcomes, so with three parties it may pick a different point."
    } >"$results_file"
    cat "$results_file"
    log "written to $results_file (raw outputs in $work_dir)"
}

main "$@"
