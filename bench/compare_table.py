#!/usr/bin/env python3
"""Build the parley-vs-NegMAS markdown table from the files compare-negmas.sh collects.

Usage:
    compare_table.py MANIFEST

MANIFEST is tab-separated, one line per domain, in run order:

    label  kind  dir  parley_exit  parley_wall_s  parley_rss_kib  parley_stdout  parley_stderr
    negmas_json

where kind is "generated" (a domain written by NegMAS's own writer, on which NegMAS and GENIUS
semantics agree, so solution utilities can be compared) or "genius" (anything else).
`parley_wall_s` and `parley_rss_kib` may be "-" when unknown; `negmas_json` is the file holding
negmas_side.py's record for the domain.

parley's `analyze --json` output is one object:

    {"parties": [names], "n_outcomes": "decimal string", "frontier_size": int,
     "reservation": [floats], "rational_frontier_points": int (optional),
     "solutions": {"nash" | "kalai_smorodinsky" | "egalitarian" | "utilitarian":
                   {"utilities": [floats], "outcome": {issue: value}} or null}}

The table goes to stdout, followed by notes on anything that failed.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

TOLERANCE = 1e-6

# Column label for each bargaining point, in display order.
SOLUTIONS = (
    ("nash", "Nash"),
    ("kalai_smorodinsky", "KS"),
    ("egalitarian", "egal."),
    ("utilitarian", "util."),
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("manifest", type=Path)
    arguments = parser.parse_args()

    runs = [line.split("\t") for line in arguments.manifest.read_text().splitlines() if line]
    rows, notes = [], []
    for run in runs:
        row, row_notes = table_row(run[:8], read_negmas(Path(run[8])))
        rows.append(row)
        notes.extend(f"- {run[0]}: {note}" for note in row_notes)

    header = (
        "domain",
        "outcomes",
        "parties",
        "parley wall s (whole command)",
        "parley peak MiB",
        "parley s (frontier + 4 points)",
        "NegMAS s (frontier + 4 points)",
        "NegMAS / parley, same work",
        "NegMAS / parley, whole command",
        "frontier: parley vs NegMAS",
        f"points agree (±{TOLERANCE:g}): " + " / ".join(label for _, label in SOLUTIONS),
    )
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" for _ in header) + "|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    if notes:
        print()
        print("Notes:")
        print()
        print("\n".join(notes))
    return 0


def table_row(run: list[str], negmas: dict[str, Any]) -> tuple[list[str], list[str]]:
    label, kind, _folder, exit_code, wall, rss_kib, stdout_path, stderr_path = run
    notes: list[str] = []

    parley = read_parley(int(exit_code), Path(stdout_path), Path(stderr_path), notes)
    parley_wall = float(wall) if wall != "-" else None
    # parley's own in-process timing of the frontier and the four points: the same work as
    # NegMAS's `pareto_frontier` plus its four `*_points` calls.
    timings = parley.get("timings") if parley else None
    parley_kernel = timings.get("frontier_and_solutions_s") if isinstance(timings, dict) else None

    n_outcomes = parley["n_outcomes"] if parley else None
    if n_outcomes is None:
        n_outcomes = negmas.get("n_outcomes")
    n_parties = len(parley["parties"]) if parley else None
    if n_parties is None and negmas.get("parties"):
        n_parties = len(negmas["parties"])

    negmas_seconds = negmas["times"].get("analysis") if negmas["status"] == "ok" else None
    if negmas["status"] != "ok":
        notes.append(f"NegMAS {negmas['status']}: {negmas.get('error')}")
    elif negmas.get("error"):
        notes.append(f"NegMAS: {negmas['error']}")

    row = [
        label,
        format_count(n_outcomes),
        str(n_parties) if n_parties is not None else "?",
        format_wall(parley_wall) if parley else parley_failure(int(exit_code)),
        f"{int(rss_kib) / 1024:.1f}" if rss_kib != "-" else "?",
        format_kernel(parley_kernel),
        format_negmas_time(negmas),
        format_ratio(negmas_seconds, parley_kernel),
        format_ratio(negmas_seconds, parley_wall if parley else None),
        format_frontiers(parley, negmas),
        agreement(kind, parley, negmas, notes),
    ]
    return row, notes


def read_negmas(path: Path) -> dict[str, Any]:
    """negmas_side.py's record, or an error record if the script itself failed."""
    try:
        return json.loads(path.read_text().splitlines()[0])
    except (OSError, ValueError, IndexError) as error:
        return {
            "status": "error",
            "error": f"negmas_side.py gave no record ({type(error).__name__}: {error})",
            "times": {},
        }


def read_parley(
    exit_code: int, stdout_path: Path, stderr_path: Path, notes: list[str]
) -> dict[str, Any] | None:
    """parley's parsed output, or None (with a note saying why) when the run failed."""
    stderr = stderr_path.read_text(errors="replace").strip() if stderr_path.exists() else ""
    first_stderr_line = stderr.splitlines()[0] if stderr else "no message"
    if exit_code == 124:
        notes.append("parley timed out")
        return None
    if exit_code != 0:
        notes.append(f"parley exited with {exit_code}: {first_stderr_line}")
        return None
    try:
        output = json.loads(stdout_path.read_text())
        output["n_outcomes"] = int(output["n_outcomes"])
        return output
    except (OSError, ValueError, KeyError, TypeError) as error:
        notes.append(f"parley output unreadable ({type(error).__name__}: {error})")
        return None


def parley_failure(exit_code: int) -> str:
    if exit_code == 124:
        return "timeout"
    return f"failed (exit {exit_code})" if exit_code != 0 else "bad output"


def format_count(n: int | None) -> str:
    if n is None:
        return "?"
    if n < 10**9:
        return f"{n:,}"
    # Huge spaces (up to 1e50 here) read better as powers of ten.
    digits = len(str(n)) - 1
    mantissa = n / 10**digits
    return f"{mantissa:.3g}e{digits}" if mantissa != 1 else f"1e{digits}"


def format_kernel(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 0.001:
        return f"{seconds * 1e6:.0f} µs"
    return f"{seconds:.4f}"


def format_wall(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    return f"{seconds:.3f}" if seconds < 0.1 else f"{seconds:.2f}"


def format_negmas_time(negmas: dict[str, Any]) -> str:
    status = negmas["status"]
    if status == "ok":
        return f"{negmas['times']['analysis']:.3f}"
    if status == "timeout":
        step = negmas.get("timed_out_in")
        return f"timeout ({step})" if step else "timeout"
    if status.startswith("skipped"):
        return "skipped (too large)"
    return "error"


def format_ratio(negmas_seconds: float | None, parley_seconds: float | None) -> str:
    if negmas_seconds is None or parley_seconds is None:
        return "—"
    if parley_seconds <= 0:
        return "∞"
    ratio = negmas_seconds / parley_seconds
    if ratio >= 10_000:
        return f"{ratio:,.0f}×"
    return f"{ratio:.0f}×" if ratio >= 10 else f"{ratio:.2f}×"


def format_frontiers(parley: dict[str, Any] | None, negmas: dict[str, Any]) -> str:
    """parley's frontier beside NegMAS's, over the same set of outcomes where possible.

    NegMAS's own frontier holds rational outcomes only; parley's `frontier_size` counts all
    outcomes. When negmas_side.py counted NegMAS's frontier over all outcomes too, that is the
    one compared first; the rational-only counts follow when either side's differs (parley
    reports its own as `rational_frontier_points`, if its output has that field).
    """
    parley_all = parley["frontier_size"] if parley else None
    parley_rational = parley.get("rational_frontier_points") if parley else None
    negmas_rational = negmas.get("frontier_size")
    negmas_all = negmas.get("frontier_size_all_outcomes")
    if negmas_rational is None:
        return f"{show(parley_all)} vs —"
    if negmas_all is None:
        return f"{show(parley_all)} vs {negmas_rational} (NegMAS: rational only)"
    text = f"{show(parley_all)} vs {negmas_all}"
    if negmas_rational != negmas_all or (
        parley_rational is not None and parley_rational != parley_all
    ):
        text += f"; rational {show(parley_rational)} vs {negmas_rational}"
    return text


def show(value: Any) -> str:
    return "?" if value is None else str(value)


def agreement(
    kind: str, parley: dict[str, Any] | None, negmas: dict[str, Any], notes: list[str]
) -> str:
    if kind != "generated":
        return "n/a (semantics differ)"
    if parley is None or negmas["status"] != "ok":
        return "—"
    verdicts = []
    for key, label in SOLUTIONS:
        ours = (parley["solutions"].get(key) or {}).get("utilities")
        theirs = negmas["solutions"].get(key)
        same, detail = compare_points(ours, theirs)
        verdicts.append("yes" if same else "no")
        if not same:
            ties = negmas["ties"].get(key) or 0
            tie_note = f"; NegMAS found {ties} tied points" if ties > 1 else ""
            notes.append(f"{label} differs: parley {ours}, NegMAS {theirs} ({detail}{tie_note})")
    return " / ".join(verdicts)


def compare_points(ours: list[float] | None, theirs: list[float] | None) -> tuple[bool, str]:
    if ours is None and theirs is None:
        return True, "both none"
    if ours is None or theirs is None:
        return False, "only one found a point"
    if len(ours) != len(theirs):
        return False, "different numbers of parties"
    gap = max(abs(a - b) for a, b in zip(ours, theirs))
    return gap <= TOLERANCE, f"largest gap {gap:.3g}"


if __name__ == "__main__":
    sys.exit(main())
