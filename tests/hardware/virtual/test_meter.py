from __future__ import annotations

import pytest

from flexcoop.hardware.virtual.meter import GridMeter, MeterConfig

T0 = 1_780_000_000.0


def test_registers_count_import_and_export_separately() -> None:
    meter = GridMeter(MeterConfig(), seed=1)
    meter.step(3600, T0, (400.0, 300.0, 300.0))
    assert meter.power_w == pytest.approx(1000.0)
    meter.step(7200, T0 + 3600, (-200.0, -150.0, -150.0))
    values = meter.values()
    assert values["import_wh"] == pytest.approx(1000.0)
    assert values["export_wh"] == pytest.approx(1000.0)
    assert values["power_w"] == pytest.approx(-500.0)
    assert values["phase_a_power_w"] == pytest.approx(-200.0)


def test_export_raises_and_import_lowers_the_voltage() -> None:
    importing, exporting = GridMeter(MeterConfig(), seed=3), GridMeter(MeterConfig(), seed=3)
    importing.step(1, T0, (7000.0, 7000.0, 7000.0))
    exporting.step(1, T0, (-7000.0, -7000.0, -7000.0))
    source, _ = importing.grid_at(T0)
    for phase in range(3):
        assert importing.phase_voltage_v[phase] < source[phase] < exporting.phase_voltage_v[phase]
        v = importing.values()
        assert 207 < v["phase_a_voltage_v"] < 253  # EN 50160 ±10 %
    v = importing.values()
    assert v["phase_a_current_a"] == pytest.approx(7000.0 / v["phase_a_voltage_v"])
    assert exporting.values()["phase_b_current_a"] < 0


def test_frequency_stays_near_50_hz() -> None:
    meter = GridMeter(MeterConfig(), seed=2)
    freqs = []
    for i in range(2000):
        meter.step(30, T0 + 30 * i, (0.0, 0.0, 0.0))
        freqs.append(meter.values()["frequency_hz"])
    assert all(49.9 < f < 50.1 for f in freqs)
    assert max(freqs) - min(freqs) > 0.01  # it does wander


def test_a_meter_has_nothing_to_write() -> None:
    meter = GridMeter(MeterConfig(), seed=2)
    assert meter.writable() == {}
    with pytest.raises(ValueError, match="not writable"):
        meter.write("import_wh", 0)
