"""How fast the virtual home physics runs: simulated time per wall second, homes per core.

Steps default homes (seeds 0…n−1) through whole days with the default 60 s sub-steps and prints
one JSON object per figure. ``--quick`` simulates two hours of one home (a smoke run for tests).

    python bench/virtual_home.py [--quick] [--homes N] [--days D]
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import UTC, datetime

from flexcoop.hardware.virtual.clock import SimClock
from flexcoop.hardware.virtual.home import HomeConfig, VirtualHome

DEMO_SPEED = 1440.0  # `flexcoop demo` default: one simulated day per wall minute


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="two simulated hours, one home")
    parser.add_argument("--homes", type=int, default=4)
    parser.add_argument("--days", type=float, default=2.0)
    args = parser.parse_args(argv)
    homes_n, seconds = (1, 7200.0) if args.quick else (args.homes, args.days * 86400)
    start = datetime(2026, 1, 15, tzinfo=UTC)
    base = HomeConfig()
    homes = [
        VirtualHome(base.scaled(seed), SimClock.manual(start), seed) for seed in range(homes_n)
    ]
    t0 = time.perf_counter()
    for home in homes:
        home.step(seconds)
    wall_s = time.perf_counter() - t0
    sim_per_wall = seconds * homes_n / wall_s
    substeps = sum(home.substeps for home in homes)
    for figure, value, unit in (
        ("virtual_home_simulated_s_per_wall_s", sim_per_wall, "s/s"),
        ("virtual_home_homes_per_core_at_demo_speed", sim_per_wall / DEMO_SPEED, "homes"),
        ("virtual_home_substep_cost", wall_s / substeps * 1e6, "µs"),
    ):
        print(
            json.dumps(
                {
                    "figure": figure,
                    "value": round(value, 3),
                    "unit": unit,
                    "n": substeps,
                    "homes": homes_n,
                    "simulated_s": seconds,
                    "substep_s": base.max_substep_s,
                },
                ensure_ascii=False,
            )
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
