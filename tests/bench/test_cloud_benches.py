"""Smoke-run the cloud benchmarks with --quick: they run on SQLite and PostgreSQL (when a
server answers) and print well-formed figures whose counts add up. No timing is asserted."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"


def _run(script: str) -> list[dict]:
    out = subprocess.run(
        [sys.executable, str(BENCH / script), "--quick"],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    figures = [json.loads(line) for line in out.stdout.splitlines()]
    measured = [f for f in figures if f["figure"] != "skipped"]
    for f in measured:
        assert {"figure", "value", "unit", "n"} <= f.keys()
        assert f["value"] > 0 and f["n"] > 0, f
    assert {f["db"] for f in measured} >= {"sqlite"}
    return measured


@pytest.mark.slow
def test_registry_keepalive_quick() -> None:
    figures = _run("registry_keepalive.py")
    for db in {f["db"] for f in figures}:
        got = {f["figure"]: f for f in figures if f["db"] == db}
        assert got["registry_keepalive_updates_per_s"]["unit"] == "1/s"
        assert got["registry_sweep_none_due_s"]["timed_out"] == 0
        n = got["registry_sweep_all_due_s"]["n"]
        assert got["registry_sweep_all_due_s"]["timed_out"] == n
        assert got["registry_all_back_online_s"]["online"] == n


@pytest.mark.slow
def test_telemetry_ingest_quick() -> None:
    figures = _run("telemetry_ingest.py")
    for db in {f["db"] for f in figures}:
        got = {f["figure"]: f for f in figures if f["db"] == db}
        assert got["telemetry_ingest_interval_s"]["unit"] == "s"
        assert got["telemetry_read_interval_s"]["rows"] == got["telemetry_read_interval_s"]["n"]
        assert (
            got["telemetry_ingest_points_per_s"]["points"]
            == got["telemetry_ingest_points_per_s"]["n"]
        )
