"""Smoke run of bench/modbus_poll.py: it runs and prints well-formed figures (no timing asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[3] / "bench" / "modbus_poll.py"


def test_modbus_poll_bench_quick() -> None:
    out = subprocess.run(
        [sys.executable, str(BENCH), "--quick"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    figures = {f["figure"]: f for f in map(json.loads, out.stdout.splitlines())}
    assert set(figures) == {
        "modbus_polls_per_s",
        "modbus_readings_per_s",
        "modbus_cpu_per_poll",
        "modbus_sunspec_interview",
        "modbus_devices_offline",
    }
    for f in figures.values():
        assert {"figure", "value", "unit", "n"} <= set(f)
    assert figures["modbus_polls_per_s"]["n"] > 0
    assert figures["modbus_readings_per_s"]["n"] > figures["modbus_polls_per_s"]["n"]
    # Offline events depend on how loaded the machine is: counted, not asserted.
    assert isinstance(figures["modbus_devices_offline"]["value"], int)
