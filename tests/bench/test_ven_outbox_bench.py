"""Smoke-run bench/ven_outbox.py --quick: it runs and prints positive figures (no timing)."""

from collections.abc import Callable
from typing import Any


def test_ven_outbox_benchmark_quick_prints_positive_figures(run_bench: Callable[..., Any]) -> None:
    figures = run_bench("ven_outbox")
    assert {f["figure"] for f in figures} == {
        "ven_outbox_queue",
        "ven_outbox_drain",
        "ven_outbox_drain_cpu",
        "ven_outbox_day_catch_up",
    }
    for f in figures:
        assert f["value"] > 0 and f["n"] > 0, f
