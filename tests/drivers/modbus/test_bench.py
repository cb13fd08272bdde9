"""Smoke run of bench/modbus_poll.py: it runs and prints well-formed figures (no timing asserted)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def test_modbus_poll_bench_quick(run_bench: Callable[..., Any]) -> None:
    figures = {f["figure"]: f for f in run_bench("modbus_poll")}
    assert set(figures) == {
        "modbus_polls_per_s",
        "modbus_readings_per_s",
        "modbus_cpu_per_poll",
        "modbus_sunspec_interview",
        "modbus_devices_offline",
    }
    assert figures["modbus_polls_per_s"]["n"] > 0
    assert figures["modbus_readings_per_s"]["n"] > figures["modbus_polls_per_s"]["n"]
    # Offline events depend on how loaded the machine is: counted, not asserted.
    assert isinstance(figures["modbus_devices_offline"]["value"], int)
