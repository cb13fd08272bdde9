"""Smoke-run the store benchmarks with --quick: they run and print well-formed, positive
figures. No timing is asserted (the machine is shared)."""

from collections.abc import Callable
from typing import Any

import pytest


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("store_ingest", {"store_ingest_sustained", "store_ingest_per_cpu_second"}),
        ("store_aggregate", {"store_aggregate_all", "store_aggregate_tick"}),
    ],
)
def test_store_benchmark_quick_prints_positive_figures(
    run_bench: Callable[..., Any], name: str, expected: set[str]
) -> None:
    figures = run_bench(name)
    assert expected <= {f["figure"] for f in figures}
    for f in figures:
        assert f["value"] > 0 and f["n"] > 0, f
