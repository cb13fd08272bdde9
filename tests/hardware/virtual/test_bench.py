from __future__ import annotations

from collections.abc import Callable
from typing import Any


def test_benchmark_smoke_run_prints_its_figures(run_bench: Callable[..., Any]) -> None:
    rows = run_bench("virtual_home")
    assert {r["figure"] for r in rows} == {
        "virtual_home_simulated_s_per_wall_s",
        "virtual_home_homes_per_core_at_demo_speed",
        "virtual_home_substep_cost",
    }
    for row in rows:
        assert row["value"] > 0 and row["n"] == 120  # two hours in 60 s sub-steps
