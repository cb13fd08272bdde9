"""Fixtures shared by every test area."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"

Figures = list[dict[str, Any]]


@pytest.fixture
def run_bench() -> Callable[..., Figures]:
    """Smoke-run ``bench/NAME.py --quick`` in a subprocess: it must exit 0 and print JSON
    figures, each with figure/value/unit/n (or a ``skipped`` notice). Timing is never asserted:
    the figures themselves come from full runs on a quiet machine."""

    def run(name: str, *args: str, timeout_s: float = 240) -> Figures:
        out = subprocess.run(
            [sys.executable, str(BENCH / f"{name}.py"), "--quick", *args],
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
        )
        assert out.returncode == 0, out.stderr[-3000:]
        figures = [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]
        assert figures, "the benchmark printed no figures"
        for f in figures:
            if "skipped" not in f:
                assert {"figure", "value", "unit", "n"} <= f.keys(), f
        return figures

    return run
