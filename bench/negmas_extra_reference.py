#!/usr/bin/env python3
"""More reference runs of NegMAS 0.16.0: the aspiration and hard-line agents, and full offer traces
on spaces of 1e5 and 1e6 outcomes.

Usage (with NegMAS installed as bench/compare-negmas.sh --setup-only does):
    bench/.venv/bin/python bench/negmas_extra_reference.py [--data DIR] [--out PATH]

Runs every pair below on gen2p_1e5 and gen2p_1e6 (NegMAS-generated domains under DIR, default
/work/shared/data/negmas-generated), 100 rounds, and writes
crates/parley-sim/tests/data/negmas-reference-extra.json in the format of
bench/negmas_sim_reference.py (which it reuses: same determinism, same fields), with every run's
full trace. `AspirationNegotiator` is parley's `aspiration`, `ToughNegotiator` its `hardliner`.
NegMAS's `RandomNegotiator` draws from Python's generator, which parley does not reproduce, so the
random agent has no offer-for-offer reference.
"""

import argparse
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

PAIRS = [
    ("Aspiration", "Boulware"),
    ("Boulware", "Aspiration"),
    ("Aspiration", "Aspiration"),
    ("Aspiration", "Conceder"),
    ("Hardliner", "Conceder"),
    ("Conceder", "Hardliner"),
    ("Hardliner", "Aspiration"),
    ("Boulware", "Conceder"),
    ("Conceder", "Linear"),
    ("NaiveTitForTat", "Conceder"),
]
DOMAINS = ("gen2p_1e5", "gen2p_1e6")
STEPS = 100


def main() -> int:
    if os.environ.get("PYTHONHASHSEED") != "0":
        os.environ["PYTHONHASHSEED"] = "0"
        os.execv(sys.executable, [sys.executable, *sys.argv])
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("/work/shared/data/negmas-generated"))
    root = Path(__file__).resolve().parent.parent
    parser.add_argument("--out", type=Path, default=root / "crates/parley-sim/tests/data/negmas-reference-extra.json")
    arguments = parser.parse_args()

    import negmas_sim_reference as reference
    from negmas.sao import AspirationNegotiator, ToughNegotiator

    classes = reference.agent_classes()
    classes["Aspiration"] = AspirationNegotiator
    classes["Hardliner"] = ToughNegotiator
    reference.count_micro_draws()
    # Every run keeps its full trace.
    reference.TRACE_DOMAINS = DOMAINS
    reference.TRACE_STEPS = STEPS
    runs = []
    options = argparse.Namespace(repeats=1, seed=0)
    for domain in DOMAINS:
        for agents in PAIRS:
            record = reference.run_case(arguments.data / domain, domain, agents, STEPS, classes, options)
            runs.append(record)
            print(reference.summary_line(record), flush=True)
    import negmas

    result = {"note": __doc__.splitlines()[0], "negmas_version": negmas.__version__, "runs": runs}
    arguments.out.write_text(json.dumps(result, separators=(",", ":"), allow_nan=False) + "\n")
    print(f"wrote {arguments.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
