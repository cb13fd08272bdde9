"""The demo end to end: virtual home over Modbus → OSB store → VEN → cloud VTN, and back."""

from __future__ import annotations

import io

import pytest

from flexcoop.demo import run_demo_async


async def test_demo_measures_what_the_simulator_did_and_reaches_the_cloud() -> None:
    out = io.StringIO()
    summary = await run_demo_async(homes=2, hours=4, speed=2880, out=out)
    text = out.getvalue()
    assert "VENs registered" in text and "Summary" in text
    assert len(summary["homes"]) == 2
    for home in summary["homes"]:
        truth, measured = home["simulated"], home["measured"]
        # Both figures cover the same simulated instants (the demo pauses its clock to line
        # them up): the simulator's own accounting, and the counters the OSB read over Modbus.
        for key in ("import_wh", "heat_pump_wh"):
            assert truth[key] > 0
            assert measured[key] == pytest.approx(truth[key], rel=0.01, abs=5), key
        assert measured["aggregates"] >= 14  # 4 h = 16 quarter hours, first/last may be partial
        assert home["ven"]["registered"] is True
        assert sum(home["ven"]["events"].values()) == 1, "the DR event must reach every VEN"
    assert sum(summary["ders"].values()) == 2


async def test_demo_rejects_nonsense_arguments() -> None:
    with pytest.raises(ValueError, match="positive"):
        await run_demo_async(homes=0)
