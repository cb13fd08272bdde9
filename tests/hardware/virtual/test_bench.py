from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[3] / "bench" / "virtual_home.py"


def test_benchmark_smoke_run_prints_its_figures() -> None:
    result = subprocess.run(
        [sys.executable, str(BENCH), "--quick"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    rows = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    assert {r["figure"] for r in rows} == {
        "virtual_home_simulated_s_per_wall_s",
        "virtual_home_homes_per_core_at_demo_speed",
        "virtual_home_substep_cost",
    }
    for row in rows:
        assert {"figure", "value", "unit", "n"} <= set(row)
        assert row["value"] > 0 and row["n"] == 120  # two hours in 60 s sub-steps
