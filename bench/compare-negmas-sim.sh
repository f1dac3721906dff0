#!/usr/bin/env bash
# Compare parley's simulation engine with NegMAS 0.16.0 in one run.
#
# Usage: bench/compare-negmas-sim.sh
#
# Workloads: the tournament of 4 agent types (Boulware, conceder, naive tit-for-tat, MiCRO) x 3
# GENIUS domains (Laptop, EnglandZimbabwe, Car) x 2 repetitions with self-play and rotated
# profiles, 100 rounds (192 negotiations); and one 1000-round Boulware vs conceder negotiation on
# ANAC Energy; parley alone, the same on a generated 30-issue, 4-value domain. parley (the binary
# `deploy/build-release.sh --no-pie` builds for batch nodes: static and position dependent on
# Linux with glibc) runs as whole commands (process start and loading included) with 1 and 2
# threads, the median of several runs (by hyperfine when installed); NegMAS is timed inside
# Python with imports excluded. The table goes to stdout and on top of bench/results/negmas-simulation.md
# (the earlier runs below it are kept).
set -euo pipefail
export LC_ALL=C

bench_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_dir=$(dirname "$bench_dir")
data_dir=${PARLEY_BENCH_DATA:-$(cd "$repo_dir/.." && pwd)/shared/data}
genius=$data_dir/genius
results=$bench_dir/results/negmas-simulation.md
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Whole-command times on 2 cores move with whatever else runs: recorded with the results.
load_at_start=$(cut -d' ' -f1-3 /proc/loadavg)

"$bench_dir/compare-negmas.sh" --setup-only >&2
# The binary as installed on batch nodes (deploy/build-release.sh --no-pie: statically linked and
# position dependent on Linux with glibc).
parley=$("$repo_dir/deploy/build-release.sh" --no-pie)
linking=$(file -b "$parley" | grep -o 'static-pie linked\|statically linked\|dynamically linked' || echo 'linking not known')

domains=("$genius/Laptop" "$genius/scenarios/anac/y2010/EnglandZimbabwe" "$genius/Car-A-domain")
# parley prints its in-process time ("N negotiations (...) in S s"): the same work NegMAS's timing
# covers. The whole command adds process start, loading, reference frontiers and writing results.
in_process() { grep -o 'in [0-9.]* s:' "$1" | awk '{print $2}'; }
# Whole-command time: the median of several runs, by hyperfine when it is installed (apt install
# hyperfine), otherwise by a timer in Python. Prints seconds.
median_of_runs() {
    if command -v hyperfine >/dev/null; then
        hyperfine -N --runs 100 --warmup 10 --style none --export-json "$work/hyperfine.json" -- "$(printf '%q ' "$@")" >/dev/null 2>&1
        python3 -c "import json,sys; print('%.4f' % json.load(open(sys.argv[1]))['results'][0]['median'])" "$work/hyperfine.json"
    else
        # Timed from Python, around the process alone: a shell clock (two `date` processes per
        # run) would add milliseconds to a command that takes a few.
        python3 - "$@" <<'PY'
import statistics, subprocess, sys, time
def once():
    start = time.perf_counter()
    subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start
for _ in range(10):
    once()
print("%.4f" % statistics.median(once() for _ in range(100)))
PY
    fi
}
timer=$(command -v hyperfine >/dev/null && echo "hyperfine without a shell, median of 100 runs after 10 warm-ups" || echo "timed from Python around each process, median of 100 runs after 10 warm-ups")
declare -A seconds inside
for threads in 1 2; do
    "$parley" tournament --agents boulware,conceder,tit-for-tat,micro --scenarios "${domains[@]}" \
        --reps 2 --rounds 100 --threads "$threads" -o "$work/tournament-$threads" >"$work/tournament-$threads.txt"
    inside[$threads]=$(in_process "$work/tournament-$threads.txt")
    seconds[$threads]=$(median_of_runs "$parley" tournament --agents boulware,conceder,tit-for-tat,micro --scenarios "${domains[@]}" \
        --reps 2 --rounds 100 --threads "$threads" -o "$work/tournament-timed-$threads")
done
# Throughput and scaling: the same tournament with 500 repetitions (48,000 negotiations).
declare -A big
for threads in 1 2; do
    "$parley" tournament --agents boulware,conceder,tit-for-tat,micro --scenarios "${domains[@]}" \
        --reps 500 --rounds 100 --threads "$threads" -o "$work/big-$threads" >"$work/big-$threads.txt"
    big[$threads]=$(in_process "$work/big-$threads.txt")
done
negotiations=$(python3 -c "import json,sys; print(len(json.load(open(sys.argv[1]))['results']))" "$work/tournament-1/results.json")
agreement=$(grep -o 'Agreement rate [0-9.]*' "$work/tournament-1.txt" | awk '{print $3}')

"$parley" simulate "$genius/scenarios/anac/y2011/Energy" --agents boulware,conceder --rounds 1000 --json >"$work/energy.json"
energy_seconds=$(median_of_runs "$parley" simulate "$genius/scenarios/anac/y2011/Energy" --agents boulware,conceder --rounds 1000 --json)
# Process start alone, for scale: the smallest whole command there is.
startup_seconds=$(median_of_runs "$parley" --version)
energy_offers=$(python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(d['offers'], d['rounds'], d['seconds'])" "$work/energy.json")

# A 30-issue, 4-value GENIUS domain (4^30 ≈ 1.15e18 outcomes; weights 1/30 times evaluations
# k/1000, as tests/limits.rs generates them): parley only, NegMAS lists every outcome first.
python3 - "$work/huge" <<'PY'
import os, sys
out, issues, values, mask = sys.argv[1], 30, 4, (1 << 64) - 1
def evaluation(seed):
    mixed = (seed * 0x9E3779B97F4A7C15) & mask
    return ((((mixed << 17) | (mixed >> 47)) & mask) % 1000 + 1) / 1000
os.makedirs(out)
items = lambda i: "".join(f'<item index="{v + 1}" value="v{v}"/>' for v in range(values))
with open(f"{out}/domain.xml", "w") as f:
    f.write('<negotiation_template><utility_space><objective index="0" name="huge">\n')
    f.write("".join(f'<issue index="{i}" name="i{i}" type="discrete">{items(i)}</issue>\n' for i in range(1, issues + 1)))
    f.write("</objective></utility_space></negotiation_template>\n")
for p in (1, 2):
    with open(f"{out}/p{p}.xml", "w") as f:
        f.write('<utility_space><objective index="0" name="huge">\n')
        for i in range(1, issues + 1):
            evals = "".join(f'<item value="v{v}" evaluation="{evaluation(p * 1000003 + i * 1009 + v)}"/>' for v in range(values))
            f.write(f'<issue index="{i}" name="i{i}" type="discrete">{evals}</issue><weight index="{i}" value="{1 / issues!r}"/>\n')
        f.write('</objective><reservation value="0"/></utility_space>\n')
PY
"$parley" simulate "$work/huge" --agents boulware,conceder --rounds 1000 --json >"$work/huge.json"
huge_seconds=$(median_of_runs "$parley" simulate "$work/huge" --agents boulware,conceder --rounds 1000 --json)
huge_offers=$(python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(d['offers'], d['rounds'], d['seconds'])" "$work/huge.json")

# NegMAS draws a progress bar in Unicode: do not let the C locale break it.
PYTHONIOENCODING=utf-8 "$bench_dir/.venv/bin/python" "$bench_dir/negmas_sim_bench.py" --genius "$genius" >"$work/negmas.json" 2>"$work/negmas.err" || { cat "$work/negmas.err" >&2; exit 1; }

big_negotiations=$(python3 -c "import json,sys; print(len(json.load(open(sys.argv[1]))['results']))" "$work/big-1/results.json")
python3 - "$work/negmas.json" "$negotiations" "${seconds[1]}" "${seconds[2]}" "$agreement" "$energy_seconds" $energy_offers "${big[1]}" "${big[2]}" "${inside[1]}" "${inside[2]}" "$big_negotiations" "$huge_seconds" $huge_offers >"$work/table.md" <<'PY'
import json, sys
# NegMAS may draw its progress bar on standard output: the result is the last line.
negmas = json.loads([line for line in open(sys.argv[1]) if line.strip()][-1])
negotiations, whole_one, whole_two, agreement = int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
energy_whole, offers, rounds, energy_inside = float(sys.argv[6]), int(sys.argv[7]), int(sys.argv[8]), float(sys.argv[9])
big_one, big_two, one, two = float(sys.argv[10]), float(sys.argv[11]), float(sys.argv[12]), float(sys.argv[13])
t = negmas["tournament"]; e = negmas["energy"]
rate = lambda n, s: f"{n / s:,.0f}" if s else "∞"
big_n = int(sys.argv[14])
print("| workload | NegMAS s | NegMAS negotiations/s | parley s, same work (1 thread) | parley negotiations/s | parley s, same work (2 threads) | speed-up 1→2 threads | parley s, whole command | NegMAS / parley, same work | NegMAS / parley, whole command |")
print("|---|---|---|---|---|---|---|---|---|---|")
print(f"| tournament: {negotiations} negotiations, 100 rounds (agreement rate NegMAS {t['agreement_rate']:.3f}, parley {agreement}) | {t['seconds']:.2f} | {t['negotiations'] / t['seconds']:.1f} | {one:.4f} | {rate(negotiations, one)} | {two:.4f} | {one / two:.2f}× | {whole_one:.4f} | {t['seconds'] / one:,.0f}× | {t['seconds'] / whole_one:,.0f}× |")
print(f"| the same tournament, 500 repetitions ({big_n:,} negotiations) | — | — | {big_one:.3f} | {rate(big_n, big_one)} | {big_two:.3f} | {big_one / big_two:.2f}× | — | {t['seconds'] / t['negotiations'] * big_n / big_one:,.0f}× (NegMAS extrapolated) | — |")
print(f"| Energy (390,625 outcomes), Boulware vs conceder, 1000 rounds: {offers} offers, agreement in round {rounds} (NegMAS: {e['rounds']}, other semantics) | {e['seconds']:.2f} | — | {energy_inside:.4f} | — | — | — | {energy_whole:.4f} | {e['seconds'] / energy_inside:,.0f}× | {e['seconds'] / energy_whole:,.0f}× |")
huge_whole, huge_offers, huge_rounds, huge_inside = float(sys.argv[15]), int(sys.argv[16]), int(sys.argv[17]), float(sys.argv[18])
print(f"| 30 issues × 4 values (4^30 ≈ 1.15e18 outcomes, exact targets), Boulware vs conceder, 1000 rounds: {huge_offers} offers, agreement in round {huge_rounds} | — (NegMAS lists every outcome) | — | {huge_inside:.4f} | — | — | — | {huge_whole:.4f} | — | — |")
PY
{
    echo "## Run of $(date -u '+%Y-%m-%d %H:%M UTC') (commit $(git -C "$repo_dir" rev-parse --short HEAD 2>/dev/null || echo unknown))"
    echo
    echo "- Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'); load average (1, 5, 15 min) at the start: $load_at_start, at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "- parley \"same work\": its own in-process timing of the sessions (agents' set-up included, loading excluded); \"whole command\": process start, loading, reference frontiers for the distance metrics, sessions and writing results ($timer), by the binary \`deploy/build-release.sh --no-pie\` builds ($linking); \`parley --version\` alone takes $startup_seconds s here"
    echo "- NegMAS: \`cartesian_tournament(..., njobs=-1, path=None)\` and one \`SAOMechanism.run()\`, timed in Python, imports excluded"
    echo
    cat "$work/table.md"
} | tee "$work/run.md"
# The run goes on top of the results file, above the earlier runs and the notes written on them,
# which stay.
{
    echo "# parley vs NegMAS 0.16.0: simulation"
    echo
    cat "$work/run.md"
    if [ -f "$results" ]; then
        echo
        sed '1{/^# /d};2{/^$/d}' "$results"
    fi
} >"$work/results.md"
mv "$work/results.md" "$results"
