"""Smoke runs of the VTN benchmarks (--quick): they run and print well-formed figures.
No timing is asserted (the machine is shared); the figures themselves come from full runs."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from typing import Any

import pytest

pytestmark = pytest.mark.timeout(240)


def test_vtn_poll_quick(run_bench: Callable[..., Any]) -> None:
    figures = run_bench("vtn_poll", timeout_s=200)
    if shutil.which("wrk") is None:
        assert figures == [{"figure": "oadrPoll throughput", "skipped": "wrk not installed"}]
        return
    by_name = {f["figure"]: f for f in figures}
    for label in ("flexcoop VTN", "openleadr VTN", "bare"):
        fig = by_name[f"oadrPoll throughput, {label}"]
        assert fig["unit"] == "req/s" and float(fig["value"]) > 0 and int(fig["n"]) > 0
    assert by_name["oadrPoll ours / openleadr"]["unit"] == "ratio"
    assert by_name["oadrPoll ours / bare aiohttp"]["unit"] == "ratio"


def test_vtn_fanout_quick(run_bench: Callable[..., Any]) -> None:
    figures = run_bench("vtn_fanout", timeout_s=200)
    assert [f["figure"] for f in figures] == [
        "VEN registrations (incl. first poll)",
        "event creation for all VENs (REST)",
        "event creation until every VEN's poll returned it",
        "VTN RSS per registered VEN",
    ]
    for fig in figures:
        assert fig["n"] == 50 and isinstance(fig["value"], float | int)
    assert figures[2]["polls"] >= 50  # every VEN polled at least once for the event
