"""Every message type: encode → valid against the official 2.0b XSD → decode → equal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from lxml import etree

from flexcoop.openadr import messages as m
from flexcoop.openadr.codec import decode, encode
from flexcoop.openadr.schema import validate
from flexcoop.units import Unit

ALL_TYPES = sorted(m.MESSAGE_TYPES)


def test_samples_cover_every_message_type(samples: dict[str, m.OadrMessage]) -> None:
    assert sorted(samples) == ALL_TYPES
    assert len(ALL_TYPES) == 23


@pytest.mark.parametrize("message_type", ALL_TYPES)
def test_full_sample_round_trips_and_is_schema_valid(
    message_type: str, samples: dict[str, m.OadrMessage], schema: etree.XMLSchema
) -> None:
    msg = samples[message_type]
    xml = encode(msg)
    assert xml.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    validate(xml, schema)
    back = decode(xml, validate=True, schema=schema)
    assert type(back) is type(msg)
    assert back == msg


@pytest.mark.parametrize("message_type", ALL_TYPES)
def test_minimal_message_round_trips_and_is_schema_valid(
    message_type: str, schema: etree.XMLSchema
) -> None:
    """Only required fields set: every optional element must be left out cleanly."""
    cls = m.MESSAGE_TYPES[message_type]
    required = {
        name: MINIMAL_VALUES[name]
        for name, field in cls.model_fields.items()
        if field.is_required()
    }
    msg = cls(**required)
    xml = encode(msg)
    validate(xml, schema)
    assert decode(xml) == msg


MINIMAL_VALUES: dict[str, object] = {
    "ven_id": "ven-1",
    "vtn_id": "vtn-1",
    "registration_id": "reg-1",
    "opt_id": "opt-1",
    "opt_type": m.OptType.OPT_IN,
    "opt_reason": m.OptReason.ECONOMIC,
    "created_date_time": datetime(2026, 1, 1, tzinfo=UTC),
    "report_request_ids": ["rr-1"],
    "report_requests": [
        m.ReportRequest(
            specifier=m.ReportSpecifier(
                report_specifier_id="s",
                granularity=timedelta(0),
                report_back_duration=timedelta(0),
                payloads=[m.SpecifierPayload(r_id="r")],
            )
        )
    ],
}


def test_event_fields_survive_in_detail(samples: dict[str, m.OadrMessage]) -> None:
    msg = decode(encode(samples["oadrDistributeEvent"]))
    assert isinstance(msg, m.OadrDistributeEvent)
    event = msg.events[0]
    assert event.active_period.start_after == timedelta(minutes=5)
    signal = event.signals[0]
    assert signal.item_base is not None
    assert signal.item_base.to_canonical(signal.intervals[1].value) == (-1500.0, Unit.W)
    assert event.descriptor.created_date_time.tzinfo is not None
    assert event.targets.end_device_assets == ["Thermostat"]


def test_constant_responses_are_served_from_the_cache() -> None:
    a = encode(m.OadrResponse(response=m.EiResponse(request_id=""), ven_id="ven-cache"))
    b = encode(m.OadrResponse(response=m.EiResponse(request_id=""), ven_id="ven-cache"))
    c = encode(m.OadrResponse(response=m.EiResponse(request_id=""), ven_id="ven-other"))
    assert a is b
    assert a != c
    assert b"ven-other" in c
