"""Smoke-run the daemon memory benchmark: it runs the real daemon and prints positive figures.
No memory or timing goal is asserted here (that is the benchmark's job, on a quiet machine)."""

from collections.abc import Callable
from typing import Any


def test_osb_rss_quick_prints_positive_figures(run_bench: Callable[..., Any]) -> None:
    figures = {f["figure"]: f for f in run_bench("osb_rss")}
    assert set(figures) == {"osb_rss_end", "osb_rss_peak", "osb_readings_stored"}
    assert figures["osb_readings_stored"]["value"] > 0, "the daemon stored nothing"
    assert 0 < figures["osb_rss_end"]["value"] <= figures["osb_rss_peak"]["value"]
