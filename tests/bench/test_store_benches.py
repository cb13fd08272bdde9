"""Smoke-run the store benchmarks with --quick: they run and print well-formed, positive
figures. No timing is asserted (the machine is shared)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        ("store_ingest.py", {"store_ingest_sustained", "store_ingest_per_cpu_second"}),
        ("store_aggregate.py", {"store_aggregate_all", "store_aggregate_tick"}),
    ],
)
def test_store_benchmark_quick_prints_positive_figures(script: str, expected: set[str]) -> None:
    out = subprocess.run(
        [sys.executable, str(BENCH / script), "--quick"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    figures = [json.loads(line) for line in out.stdout.splitlines()]
    assert expected <= {f["figure"] for f in figures}
    for f in figures:
        assert {"figure", "value", "unit", "n"} <= f.keys()
        assert f["value"] > 0 and f["n"] > 0, f
