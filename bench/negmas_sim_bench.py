#!/usr/bin/env python3
"""Time NegMAS 0.16.0 on the simulation workloads that bench/compare-negmas-sim.sh compares.

Prints one JSON object: the serial cartesian tournament (4 agent types x 3 GENIUS domains x 2
repetitions, self-play, rotated profiles, 100 rounds) and a 1000-round Boulware vs Conceder SAO run
on ANAC Energy, each with wall seconds measured in this process (imports excluded).
"""

import argparse
import json
import random
import sys
import time
from pathlib import Path

import negmas  # noqa: F401  (imported before timing starts)
from negmas.inout import Scenario
from negmas.sao import BoulwareTBNegotiator, ConcederTBNegotiator, SAOMechanism
from negmas_sim_reference import agent_classes, run_tournament


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--genius", type=Path, required=True)
    arguments = parser.parse_args()
    random.seed(0)

    negotiations, agreements, tournament_seconds = run_tournament(arguments.genius, agent_classes(), njobs=-1)

    energy = Scenario.load(arguments.genius / "scenarios/anac/y2011/Energy")
    start = time.perf_counter()
    mechanism = SAOMechanism(outcome_space=energy.outcome_space, n_steps=1000)
    mechanism.add(BoulwareTBNegotiator(), ufun=energy.ufuns[0])
    mechanism.add(ConcederTBNegotiator(), ufun=energy.ufuns[1])
    state = mechanism.run()
    energy_seconds = time.perf_counter() - start

    print(
        json.dumps(
            {
                "tournament": {
                    "negotiations": negotiations,
                    "seconds": tournament_seconds,
                    "agreement_rate": agreements / negotiations if negotiations else None,
                },
                "energy": {"seconds": energy_seconds, "rounds": state.step, "agreement": state.agreement is not None},
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
