"""Smoke-run bench/marketplace.py --quick: it runs and prints well-formed, positive figures."""

from collections.abc import Callable
from typing import Any


def test_marketplace_bench_quick(run_bench: Callable[..., Any]) -> None:
    figures = run_bench("marketplace")
    assert {f["figure"] for f in figures} == {
        "marketplace_lifecycles_sequential",
        "marketplace_writes_sequential",
        "marketplace_transitions_concurrent",
        "marketplace_list_page",
    }
    for f in figures:
        assert f["value"] > 0 and f["n"] > 0, f
