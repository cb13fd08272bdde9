"""Model rules: UTC only, whole-second durations, XSD constraints on item bases, open enums,
and the EMIX ↔ flexcoop.units mapping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from flexcoop.openadr import messages as m
from flexcoop.units import Unit, UnitError

T0 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def test_message_types_are_the_element_names() -> None:
    assert m.MESSAGE_TYPES["oadrPoll"] is m.OadrPoll
    assert len(m.MESSAGE_TYPES) == 23
    assert all(
        cls.__name__[0:4] == "Oadr" and cls.message_type[4:] == cls.__name__[4:]
        for cls in m.MESSAGE_TYPES.values()
    )


def test_naive_datetimes_are_rejected_and_aware_ones_normalised_to_utc() -> None:
    with pytest.raises(ValidationError, match="timezone"):
        m.EventDescriptor(event_id="e", created_date_time=datetime(2026, 1, 1))
    cet = timezone(timedelta(hours=1))
    d = m.EventDescriptor(event_id="e", created_date_time=datetime(2026, 1, 1, 1, tzinfo=cet))
    assert d.created_date_time == datetime(2026, 1, 1, tzinfo=UTC)
    assert d.created_date_time.utcoffset() == timedelta(0)


def test_durations_must_be_whole_seconds() -> None:
    with pytest.raises(ValidationError, match="whole seconds"):
        m.ActivePeriod(start=T0, duration=timedelta(seconds=1.5))


def test_signals_need_intervals_and_events_need_signals() -> None:
    with pytest.raises(ValidationError):
        m.EventSignal(signal_id="s", intervals=[])
    with pytest.raises(ValidationError):
        m.Event(
            descriptor=m.EventDescriptor(event_id="e", created_date_time=T0),
            active_period=m.ActivePeriod(start=T0, duration=timedelta(hours=1)),
            signals=[],
        )


@pytest.mark.parametrize("name", ["SIMPLE", "ELECTRICITY_PRICE", "x-flexcoop-offer", " x-padded "])
def test_open_enumerations_accept_known_values_and_x_extensions(name: str) -> None:
    signal = m.EventSignal(signal_name=name, signal_id="s", intervals=[m.Interval(value=1)])
    assert signal.signal_name == name.strip()


@pytest.mark.parametrize("name", ["simple-ish", "x-", "x- space", "LOAD"])
def test_open_enumerations_reject_anything_else(name: str) -> None:
    with pytest.raises(ValidationError, match="extension"):
        m.EventSignal(signal_name=name, signal_id="s", intervals=[m.Interval(value=1)])


@pytest.mark.parametrize("uri", ["http://coop.example/market", "urn:x:y", "relative/path", "a"])
def test_market_contexts_are_uris(uri: str) -> None:
    assert (
        m.EventDescriptor(event_id="e", created_date_time=T0, market_context=uri).market_context
        == uri
    )


@pytest.mark.parametrize("uri", [":", "1http://x", "a#b#c", "http://a/%zz", "http://[::1"])
def test_market_contexts_that_are_not_uris_are_rejected(uri: str) -> None:
    with pytest.raises(ValidationError, match="not a URI"):
        m.EventDescriptor(event_id="e", created_date_time=T0, market_context=uri)


def test_opt_event_reference_needs_both_parts() -> None:
    with pytest.raises(ValidationError, match="go together"):
        m.OadrCreateOpt(
            opt_type=m.OptType.OPT_OUT,
            opt_reason="economic",
            ven_id="v",
            created_date_time=T0,
            event_id="e",
        )


@pytest.mark.parametrize(
    ("item", "value", "expected"),
    [
        (m.ItemBase.power_real(m.SiScaleCode.KILO), 2.5, (2500.0, Unit.W)),
        (m.ItemBase.power_real(), 300.0, (300.0, Unit.W)),
        (m.ItemBase.energy_real(m.SiScaleCode.KILO), 1.2, (1200.0, Unit.WH)),
        (m.ItemBase.energy_real(m.SiScaleCode.MEGA), 2.0, (2_000_000.0, Unit.WH)),
        (m.ItemBase.voltage(), 231.0, (231.0, Unit.V)),
        (m.ItemBase.temperature(), 21.5, (21.5, Unit.CELSIUS)),
        (m.ItemBase(kind=m.ItemKind.TEMPERATURE, units="fahrenheit"), 212.0, (100.0, Unit.CELSIUS)),
        (m.ItemBase.currency("EUR", per="kWh"), 0.25, (0.25, Unit.EUR_PER_KWH)),
        (m.ItemBase.currency("EUR"), 12.0, (12.0, Unit.EUR)),
        (
            m.ItemBase(kind=m.ItemKind.CURRENT, si_scale_code=m.SiScaleCode.MILLI),
            500.0,
            (0.5, Unit.A),
        ),
    ],
)
def test_item_bases_map_values_to_canonical_units(
    item: m.ItemBase, value: float, expected: tuple[float, Unit]
) -> None:
    got, unit = item.to_canonical(value)
    assert unit is expected[1]
    assert got == pytest.approx(expected[0])


def test_units_without_a_canonical_form_say_so() -> None:
    with pytest.raises(UnitError, match="USD"):
        m.ItemBase.currency("USD").to_canonical(1.0)
    with pytest.raises(UnitError, match="Therm"):
        m.ItemBase(kind=m.ItemKind.THERM).to_canonical(1.0)


@pytest.mark.parametrize(
    "unit", [Unit.W, Unit.WH, Unit.V, Unit.A, Unit.HZ, Unit.CELSIUS, Unit.EUR, Unit.EUR_PER_KWH]
)
def test_for_unit_round_trips_through_to_canonical(unit: Unit) -> None:
    assert m.ItemBase.for_unit(unit).to_canonical(3.0) == (3.0, unit)


def test_for_unit_refuses_units_openadr_cannot_describe() -> None:
    with pytest.raises(UnitError, match="lx"):
        m.ItemBase.for_unit(Unit.LUX)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kind": m.ItemKind.POWER_REAL, "units": "kW"}, "'W' or 'J/s'"),
        ({"kind": m.ItemKind.ENERGY_REAL, "description": "Energy"}, "RealEnergy"),
        ({"kind": m.ItemKind.CURRENCY, "units": "euro"}, "ISO 4217"),
        (
            {"kind": m.ItemKind.VOLTAGE, "power_attributes": m.PowerAttributes()},
            "no power attributes",
        ),
        ({"kind": m.ItemKind.PULSE_COUNT}, "pulse_factor"),
        ({"kind": m.ItemKind.TEMPERATURE, "units": "kelvin"}, "celsius"),
    ],
)
def test_item_bases_that_would_break_the_xsd_are_rejected(
    kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        m.ItemBase(**kwargs)


def test_power_items_get_default_power_attributes() -> None:
    item = m.ItemBase(kind=m.ItemKind.POWER_REAL)
    assert item.description == "RealPower" and item.units == "W"
    assert item.power_attributes == m.PowerAttributes(hertz=50.0, voltage=230.0, ac=True)


def test_response_codes_follow_the_profile_spec() -> None:
    assert m.ResponseCode.OK == 200
    assert m.ResponseCode.OUT_OF_SEQUENCE == 450
    assert m.ResponseCode.INVALID_ID == 452
    assert m.ResponseCode.NOT_REGISTERED_OR_AUTHORIZED == 463
    assert m.EiResponse().ok and not m.EiResponse(response_code=m.ResponseCode.INVALID_DATA).ok


def test_convenience_accessors() -> None:
    event = m.Event(
        descriptor=m.EventDescriptor(event_id="ev-7", modification_number=3, created_date_time=T0),
        active_period=m.ActivePeriod(start=T0, duration=timedelta(hours=2)),
        signals=[m.EventSignal(signal_id="s", intervals=[m.Interval(value=1)])],
    )
    assert (event.event_id, event.modification_number) == ("ev-7", 3)
    assert event.active_period.end == T0 + timedelta(hours=2)
    assert event.targets.is_empty()
    assert not m.Target(group_ids=["g"]).is_empty()


def test_unsigned_ints_and_decimals_stay_inside_their_xsd_types() -> None:
    with pytest.raises(ValidationError):
        m.EventDescriptor(event_id="e", created_date_time=T0, modification_number=2**32)
    with pytest.raises(ValidationError):
        m.OadrRequestEvent(ven_id="v", reply_limit=-1)
    with pytest.raises(ValidationError):
        m.PowerAttributes(hertz=float("nan"))
    with pytest.raises(ValidationError, match="ISO 4217"):
        m.ItemBase.currency("ABC")
