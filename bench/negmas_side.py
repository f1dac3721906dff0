#!/usr/bin/env python3
"""Time NegMAS 0.16.0 on GENIUS domain folders: Pareto frontier and four bargaining points.

Usage:
    negmas_side.py [--timeout SECONDS] [--skip-above N] [--all-outcomes-frontier]
                   DOMAIN_DIR [DOMAIN_DIR ...]

For each folder this prints one JSON object on its own line (JSON lines) on stdout:

    {"name", "path", "status", "error", "traceback_tail", "parties", "n_issues", "n_outcomes",
     "reservation", "frontier_size", "frontier_size_all_outcomes", "times": {...},
     "solutions": {...}, "ties": {...}, "peak_rss_mib", "timed_out_in"}

- `status` is "ok", "timeout", "skipped: too large" or "error" (then `error` says why, and
  `traceback_tail` holds the last lines of the Python traceback). `timed_out_in` names the
  step that was running at a timeout.
- `frontier_size` counts NegMAS's frontier, which holds rational outcomes only (utility at least
  the reservation value for every party). With --all-outcomes-frontier the frontier over all
  outcomes is counted too, untimed, after everything else (`frontier_size_all_outcomes`);
  that is the count to compare with tools that do not drop irrational outcomes.
- `times` holds wall seconds (`time.perf_counter`) for `load`, `pareto`, `nash`,
  `kalai_smorodinsky`, `egalitarian` and `utilitarian`, plus `analysis` (the frontier and the
  four points, the figure compared with parley) and `total` (load + analysis). A step that did
  not run is absent.
- `solutions` holds each point's utilities in party order, or null when NegMAS finds none.
  NegMAS returns every point within 1e-12 of the optimum; we report the first, which is the
  one with the largest total utility because the frontier comes sorted by welfare. `ties` says
  how many points NegMAS returned.
- `n_outcomes` is an exact integer (it may exceed 2^53; parse it as a big integer).
- `reservation` uses null for a missing reservation value (NegMAS stores it as -inf).
- `peak_rss_mib` is the worker's peak resident memory, which includes the interpreter and the
  NegMAS import (about 50 MiB before any domain is loaded).

NegMAS calls (all from NegMAS 0.16.0):

    negmas.inout.Scenario.load(folder)                        load; profiles in file-name order
    negmas.preferences.ops.pareto_frontier(ufuns, issues=..)  frontier over rational outcomes
    negmas.preferences.ops.nash_points(ufuns, frontier, outcome_space=..)
    negmas.preferences.ops.ks_points(...)          Kalai-Smorodinsky (smallest spread of gains)
    negmas.preferences.ops.kalai_points(...)       egalitarian (largest smallest gain)
    negmas.preferences.ops.max_welfare_points(...) utilitarian (largest sum of utilities)

Each domain runs in a forked worker so that one slow or broken domain cannot stop the others:
the worker is killed at the timeout, and whatever steps it finished are still reported. NegMAS
is imported once, before forking, so its import cost (over a second) is in no measurement.
Domains with more outcomes than --skip-above (default 5e7) are loaded but not analysed:
NegMAS enumerates every outcome as a Python tuple, which would exhaust memory long before any
timeout.
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import resource
import sys
import time
import traceback
from pathlib import Path
from typing import Any

# The bargaining points in the order they are measured, with the NegMAS function computing each.
# NegMAS's own names differ from ours: its `kalai_points` is the egalitarian point and its
# `ks_points` the Kalai-Smorodinsky one.
SOLUTION_FUNCTIONS = (
    ("nash", "nash_points"),
    ("kalai_smorodinsky", "ks_points"),
    ("egalitarian", "kalai_points"),
    ("utilitarian", "max_welfare_points"),
)

DEFAULT_TIMEOUT_SECONDS = 120.0
DEFAULT_SKIP_ABOVE = 5e7

# Steps in the order the worker runs them; used to say where a timeout struck.
STEPS = ("load", "pareto") + tuple(name for name, _ in SOLUTION_FUNCTIONS)


def main() -> int:
    arguments = parse_arguments()
    # Imported here, before any fork, so that every worker inherits a loaded NegMAS.
    import negmas.inout  # noqa: F401
    import negmas.preferences.ops  # noqa: F401

    context = multiprocessing.get_context("fork")
    for folder in arguments.domains:
        record = measure_in_worker(context, Path(folder), arguments)
        print(json.dumps(record, allow_nan=False), flush=True)
    return 0


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Time NegMAS's Pareto frontier and bargaining points on GENIUS domain folders; "
        "print one JSON object per folder."
    )
    parser.add_argument("domains", nargs="+", metavar="DOMAIN_DIR", help="GENIUS domain folder")
    parser.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT_SECONDS,
        help="seconds allowed per domain, load included (default %(default)s)",
    )
    parser.add_argument(
        "--skip-above",
        type=float,
        default=DEFAULT_SKIP_ABOVE,
        help="do not analyse domains with more outcomes than this (default %(default)g)",
    )
    parser.add_argument(
        "--all-outcomes-frontier",
        action="store_true",
        help="also count the frontier over all outcomes, reservation values ignored (untimed)",
    )
    return parser.parse_args()


def empty_record(folder: Path) -> dict[str, Any]:
    return {
        "name": folder.name,
        "path": str(folder.resolve()),
        "status": None,
        "error": None,
        "traceback_tail": None,
        "parties": None,
        "n_issues": None,
        "n_outcomes": None,
        "reservation": None,
        "frontier_size": None,
        "frontier_size_all_outcomes": None,
        "times": {},
        "solutions": {name: None for name, _ in SOLUTION_FUNCTIONS},
        "ties": {name: None for name, _ in SOLUTION_FUNCTIONS},
        "peak_rss_mib": None,
        "timed_out_in": None,
    }


def measure_in_worker(context: Any, folder: Path, arguments: argparse.Namespace) -> dict[str, Any]:
    """Runs `measure` in a forked worker and collects its record, whatever happens to it.

    The worker sends ("progress", record) after every step and ("final", record) at the end, so
    a worker killed at the timeout (or by the kernel for lack of memory) still leaves the times
    of the steps it finished.
    """
    record = empty_record(folder)
    receiver, sender = context.Pipe(duplex=False)
    worker = context.Process(
        target=worker_main,
        args=(folder, arguments.skip_above, arguments.all_outcomes_frontier, sender),
        daemon=True,
    )
    deadline = time.monotonic() + arguments.timeout
    worker.start()
    # Only the worker writes; closing our copy lets recv() see end-of-file when it exits.
    sender.close()
    timed_out = False
    try:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not receiver.poll(remaining):
                timed_out = True
                break
            try:
                kind, record = receiver.recv()
            except EOFError:
                break
            if kind == "final":
                return record
    finally:
        if worker.is_alive():
            worker.kill()
        worker.join()
        receiver.close()

    if record["status"] == "ok":
        # Every timed step finished; only the untimed all-outcomes frontier was cut short.
        record["error"] = "frontier over all outcomes not counted: " + (
            "timeout" if timed_out else describe_exit(worker.exitcode, None)
        )
    elif timed_out:
        record["status"] = "timeout"
        record["error"] = f"no result within {arguments.timeout:g} s"
        record["timed_out_in"] = next_step(record)
    else:
        # The worker died without reporting, most likely killed for lack of memory.
        record["status"] = "error"
        record["error"] = describe_exit(worker.exitcode, next_step(record))
    return record


def next_step(record: dict[str, Any]) -> str | None:
    """The first step without a time: the one running when the worker stopped."""
    return next((step for step in STEPS if step not in record["times"]), None)


def describe_exit(exitcode: int | None, step: str | None) -> str:
    during = f" during {step}" if step else ""
    if exitcode is not None and exitcode < 0:
        return f"worker killed by signal {-exitcode}{during} (signal 9 usually means out of memory)"
    return f"worker exited with code {exitcode}{during} without a result"


def worker_main(folder: Path, skip_above: float, all_outcomes_frontier: bool, sender: Any) -> None:
    record = empty_record(folder)
    try:
        measure(folder, skip_above, record, sender)
    except Exception as error:  # noqa: BLE001 - any failure is reported, never raised
        record_error(record, error)
    # Read before the untimed extra count, which would otherwise set the peak.
    record["peak_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    if all_outcomes_frontier and record["status"] == "ok":
        sender.send(("progress", record))
        try:
            record["frontier_size_all_outcomes"] = count_all_outcomes_frontier(folder)
        except Exception as error:  # noqa: BLE001
            # The measurements stand; only the extra count is missing.
            record["error"] = f"frontier over all outcomes not counted: {type(error).__name__}: {error}"
    sender.send(("final", record))
    sender.close()


def record_error(record: dict[str, Any], error: Exception) -> None:
    record["status"] = "error"
    record["error"] = f"{type(error).__name__}: {error}".strip()
    # The last lines of the traceback name the failing NegMAS function.
    record["traceback_tail"] = traceback.format_exc().strip().splitlines()[-3:]


def measure(folder: Path, skip_above: float, record: dict[str, Any], sender: Any) -> None:
    """Loads one domain and times the frontier and the four points, filling `record`."""
    from negmas.inout import Scenario
    from negmas.preferences import ops

    if not folder.is_dir():
        raise NotADirectoryError(f"not a folder: {folder}")

    start = time.perf_counter()
    scenario = Scenario.load(folder)
    record["times"]["load"] = time.perf_counter() - start
    if scenario is None:
        raise ValueError("NegMAS found no domain file (XML, YAML or GeniusWeb JSON) here")

    ufuns = tuple(scenario.ufuns)
    outcome_space = scenario.outcome_space
    record["parties"] = [ufun.name for ufun in ufuns]
    record["n_issues"] = len(outcome_space.issues)
    record["n_outcomes"] = exact_cardinality(outcome_space)
    record["reservation"] = [finite_or_none(ufun.reserved_value) for ufun in ufuns]
    sender.send(("progress", record))

    n_outcomes = record["n_outcomes"]
    if n_outcomes is None or n_outcomes > skip_above:
        record["status"] = "skipped: too large"
        record["error"] = (
            f"{f'{n_outcomes:.3g}' if n_outcomes is not None else 'infinitely many'} outcomes: "
            "NegMAS enumerates every outcome as a Python tuple"
        )
        return

    start = time.perf_counter()
    frontier, _frontier_indices = ops.pareto_frontier(
        ufuns, issues=outcome_space.issues, sort_by_welfare=True
    )
    record["times"]["pareto"] = time.perf_counter() - start
    record["frontier_size"] = len(frontier)
    sender.send(("progress", record))

    for name, function_name in SOLUTION_FUNCTIONS:
        function = getattr(ops, function_name)
        start = time.perf_counter()
        # Without `ranges`, each function computes every party's utility range from the
        # outcome space itself (analytically for linear-additive profiles), as a caller would.
        points = function(ufuns, frontier, outcome_space=outcome_space)
        record["times"][name] = time.perf_counter() - start
        record["ties"][name] = len(points)
        if points:
            utilities, _index = points[0]
            record["solutions"][name] = [float(u) for u in utilities]
        sender.send(("progress", record))

    times = record["times"]
    times["analysis"] = times["pareto"] + sum(times[name] for name, _ in SOLUTION_FUNCTIONS)
    times["total"] = times["load"] + times["analysis"]
    record["status"] = "ok"


def count_all_outcomes_frontier(folder: Path) -> int:
    """Counts the frontier over every outcome, reservation values ignored.

    NegMAS drops irrational outcomes before looking for the frontier. Since anything that
    dominates a rational outcome is itself rational, its frontier is the all-outcomes frontier
    minus the irrational points, and may therefore be smaller.
    """
    from negmas.inout import Scenario
    from negmas.preferences import ops

    # A fresh copy, so that nothing cached by the timed steps leaks into this count.
    scenario = Scenario.load(folder)
    scenario.remove_reserved_values(float("-inf"), recalculate_stats=False)
    frontier, _indices = ops.pareto_frontier(
        tuple(scenario.ufuns), issues=scenario.outcome_space.issues
    )
    return len(frontier)


def exact_cardinality(outcome_space: Any) -> int | None:
    """The number of outcomes as an exact integer, or None when some issue is continuous.

    NegMAS's own `cardinality` may be a float for large spaces; the product of the issue sizes
    is exact.
    """
    count = 1
    for issue in outcome_space.issues:
        size = issue.cardinality
        if size is None or (isinstance(size, float) and not math.isfinite(size)):
            return None
        count *= int(size)
    return count


def finite_or_none(value: Any) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


if __name__ == "__main__":
    sys.exit(main())
