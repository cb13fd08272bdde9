"""Smoke-run the daemon memory benchmark: it runs the real daemon and prints positive figures.
No memory or timing goal is asserted here (that is the benchmark's job, on a quiet machine)."""

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench"


def test_osb_rss_quick_prints_positive_figures() -> None:
    out = subprocess.run(
        [sys.executable, str(BENCH / "osb_rss.py"), "--quick"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    figures = {f["figure"]: f for f in map(json.loads, out.stdout.splitlines())}
    assert set(figures) == {"osb_rss_end", "osb_rss_peak", "osb_readings_stored"}
    assert figures["osb_readings_stored"]["value"] > 0, "the daemon stored nothing"
    assert 0 < figures["osb_rss_end"]["value"] <= figures["osb_rss_peak"]["value"]
