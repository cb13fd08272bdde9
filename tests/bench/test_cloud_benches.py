"""Smoke-run the cloud benchmarks with --quick: they run on SQLite and PostgreSQL (when a
server answers) and print well-formed figures whose counts add up. No timing is asserted."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest


def _measured(figures: list[dict[str, Any]]) -> list[dict[str, Any]]:
    measured = [f for f in figures if "skipped" not in f]
    for f in measured:
        assert f["value"] > 0 and f["n"] > 0, f
    assert {f["db"] for f in measured} >= {"sqlite"}
    return measured


@pytest.mark.slow
def test_registry_keepalive_quick(run_bench: Callable[..., Any]) -> None:
    figures = _measured(run_bench("registry_keepalive"))
    for db in {f["db"] for f in figures}:
        got = {f["figure"]: f for f in figures if f["db"] == db}
        assert got["registry_keepalive_updates_per_s"]["unit"] == "1/s"
        assert got["registry_sweep_none_due_s"]["timed_out"] == 0
        n = got["registry_sweep_all_due_s"]["n"]
        assert got["registry_sweep_all_due_s"]["timed_out"] == n
        assert got["registry_all_back_online_s"]["online"] == n


@pytest.mark.slow
def test_telemetry_ingest_quick(run_bench: Callable[..., Any]) -> None:
    figures = _measured(run_bench("telemetry_ingest"))
    for db in {f["db"] for f in figures}:
        got = {f["figure"]: f for f in figures if f["db"] == db}
        assert got["telemetry_ingest_interval_s"]["unit"] == "s"
        assert got["telemetry_read_interval_s"]["rows"] == got["telemetry_read_interval_s"]["n"]
        assert (
            got["telemetry_ingest_points_per_s"]["points"]
            == got["telemetry_ingest_points_per_s"]["n"]
        )
