"""Smoke-run bench/ven_outbox.py --quick: it runs and prints positive figures (no timing)."""

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench"


def test_ven_outbox_benchmark_quick_prints_positive_figures() -> None:
    out = subprocess.run(
        [sys.executable, str(BENCH / "ven_outbox.py"), "--quick"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    figures = [json.loads(line) for line in out.stdout.splitlines()]
    assert {f["figure"] for f in figures} == {
        "ven_outbox_queue",
        "ven_outbox_drain",
        "ven_outbox_drain_cpu",
        "ven_outbox_day_catch_up",
    }
    for f in figures:
        assert {"figure", "value", "unit", "n"} <= f.keys()
        assert f["value"] > 0 and f["n"] > 0, f
