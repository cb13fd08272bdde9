"""Interoperability with an independent 2.0b implementation (openleadr 0.5.36).

openleadr → us: its own ``create_message`` templates produce the XML we decode.
us → openleadr: its schema-validating parser accepts everything we encode.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from openleadr import enums, objects
from openleadr.messaging import create_message, parse_message, validate_xml_schema

from flexcoop.openadr import messages as m
from flexcoop.openadr.codec import decode, encode
from flexcoop.units import Unit

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
Q = timedelta(minutes=15)
RESP = {"response_code": 200, "response_description": "OK", "request_id": "req-1"}


def _event() -> objects.Event:
    return objects.Event(
        event_descriptor=objects.EventDescriptor(
            event_id="ev-1",
            modification_number=1,
            market_context="http://mc.example",
            event_status="far",
            created_date_time=NOW,
            modification_date_time=NOW,
            priority=1,
            vtn_comment="peak",
        ),
        event_signals=[
            objects.EventSignal(
                intervals=[
                    objects.Interval(dtstart=NOW, duration=Q, signal_payload=1.0, uid=0),
                    objects.Interval(dtstart=NOW + Q, duration=Q, signal_payload=2.5, uid=1),
                ],
                signal_name="LOAD_DISPATCH",
                signal_type="setpoint",
                signal_id="sig-1",
                current_value=0.0,
                measurement=objects.Measurement(
                    name="powerReal",
                    description="RealPower",
                    unit="W",
                    scale="k",
                    power_attributes=objects.PowerAttributes(),
                ),
            )
        ],
        targets=[objects.Target(ven_id="ven-1")],
    )


def _report_request() -> objects.ReportRequest:
    return objects.ReportRequest(
        report_request_id="rr-1",
        report_specifier=objects.ReportSpecifier(
            report_specifier_id="spec-1",
            granularity=Q,
            report_back_duration=Q,
            specifier_payloads=[objects.SpecifierPayload(r_id="r1", reading_type="Direct Read")],
        ),
    )


def _cases() -> dict[str, dict[str, Any]]:
    description = objects.ReportDescription(
        r_id="r1",
        market_context="http://mc.example",
        reading_type="Direct Read",
        report_subject=objects.Target(resource_id="dev1"),
        report_data_source=objects.Target(resource_id="dev1"),
        report_type="usage",
        sampling_rate=objects.SamplingRate(
            min_period=timedelta(seconds=10), max_period=Q, on_change=False
        ),
        measurement=enums.MEASUREMENTS.POWER_REAL,
    )
    metadata = objects.Report(
        report_specifier_id="spec-1",
        report_name="METADATA_TELEMETRY_USAGE",
        report_descriptions=[description],
        created_date_time=NOW,
    )
    data = objects.Report(
        report_specifier_id="spec-1",
        report_name="TELEMETRY_USAGE",
        report_request_id="rr-1",
        created_date_time=NOW,
        dtstart=NOW,
        duration=Q,
        intervals=[
            objects.ReportInterval(
                dtstart=NOW,
                duration=Q,
                report_payload=objects.ReportPayload(
                    r_id="r1", value=12.5, confidence=90, accuracy=1
                ),
            )
        ],
    )
    return {
        "oadrQueryRegistration": {"request_id": "req-1"},
        "oadrCreatePartyRegistration": {
            "request_id": "req-1",
            "ven_name": "osb-1",
            "profile_name": "2.0b",
            "transport_name": "simpleHttp",
            "transport_address": "http://osb-1.example",
            "report_only": False,
            "xml_signature": False,
            "http_pull_model": True,
        },
        "oadrCreatedPartyRegistration": {
            "response": RESP,
            "registration_id": "reg-1",
            "ven_id": "ven-1",
            "vtn_id": "vtn-1",
            "profiles": [
                {"profile_name": "2.0b", "transports": [{"transport_name": "simpleHttp"}]}
            ],
            "requested_oadr_poll_freq": timedelta(seconds=10),
        },
        "oadrCancelPartyRegistration": {
            "request_id": "req-1",
            "registration_id": "reg-1",
            "ven_id": "ven-1",
        },
        "oadrCanceledPartyRegistration": {
            "response": RESP,
            "registration_id": "reg-1",
            "ven_id": "ven-1",
        },
        "oadrRequestReregistration": {"ven_id": "ven-1"},
        "oadrRequestEvent": {"request_id": "req-1", "ven_id": "ven-1"},
        "oadrDistributeEvent": {
            "response": RESP,
            "request_id": "req-2",
            "vtn_id": "vtn-1",
            "events": [_event()],
        },
        "oadrCreatedEvent": {
            "response": RESP,
            "ven_id": "ven-1",
            "event_responses": [
                {
                    "response_code": 200,
                    "response_description": "OK",
                    "request_id": "req-2",
                    "event_id": "ev-1",
                    "modification_number": 1,
                    "opt_type": "optIn",
                }
            ],
        },
        "oadrRegisterReport": {"request_id": "req-3", "ven_id": "ven-1", "reports": [metadata]},
        "oadrRegisteredReport": {
            "response": RESP,
            "ven_id": "ven-1",
            "report_requests": [_report_request()],
        },
        "oadrCreateReport": {
            "request_id": "req-4",
            "ven_id": "ven-1",
            "report_requests": [_report_request()],
        },
        "oadrCreatedReport": {
            "response": RESP,
            "ven_id": "ven-1",
            "pending_reports": [{"report_request_id": "rr-1"}],
        },
        "oadrUpdateReport": {"request_id": "req-5", "ven_id": "ven-1", "reports": [data]},
        "oadrUpdatedReport": {"response": RESP, "ven_id": "ven-1"},
        "oadrCancelReport": {
            "request_id": "req-6",
            "report_request_id": "rr-1",
            "report_to_follow": False,
            "ven_id": "ven-1",
        },
        "oadrCanceledReport": {"response": RESP, "ven_id": "ven-1", "pending_reports": []},
        "oadrCreateOpt": {
            "opt_id": "opt-1",
            "opt_type": "optOut",
            "opt_reason": "participating",
            "ven_id": "ven-1",
            "created_date_time": NOW,
            "request_id": "req-7",
            "event_id": "ev-1",
            "modification_number": 1,
            "targets": [objects.Target(ven_id="ven-1")],
        },
        "oadrCreatedOpt": {"response": RESP, "opt_id": "opt-1"},
        "oadrCancelOpt": {"request_id": "req-8", "opt_id": "opt-1", "ven_id": "ven-1"},
        "oadrCanceledOpt": {"response": RESP, "opt_id": "opt-1"},
        "oadrPoll": {"ven_id": "ven-1"},
        "oadrResponse": {"response": RESP, "ven_id": "ven-1"},
    }


CASES = _cases()


def test_openleadr_cases_cover_every_message_type() -> None:
    assert sorted(CASES) == sorted(m.MESSAGE_TYPES)


@pytest.mark.parametrize("message_type", sorted(CASES))
def test_we_decode_what_openleadr_creates(message_type: str) -> None:
    xml = create_message(message_type, **CASES[message_type]).encode()
    msg = decode(xml)
    assert msg.message_type == message_type
    # Every payload carries a venID, requestID, registrationID or optID we put in: check it survived.
    dumped = msg.model_dump()
    ids = {v for v in _flatten(dumped) if isinstance(v, str)}
    assert ids & {
        "ven-1",
        "req-1",
        "req-2",
        "req-3",
        "req-4",
        "req-5",
        "req-6",
        "req-7",
        "req-8",
        "opt-1",
        "reg-1",
    }


def _flatten(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [x for v in value.values() for x in _flatten(v)]
    if isinstance(value, list):
        return [x for v in value for x in _flatten(v)]
    return [value]


def test_openleadr_event_decodes_in_full() -> None:
    xml = create_message("oadrDistributeEvent", **CASES["oadrDistributeEvent"]).encode()
    msg = decode(xml)
    assert isinstance(msg, m.OadrDistributeEvent)
    (event,) = msg.events
    assert event.descriptor.event_id == "ev-1"
    assert event.descriptor.modification_number == 1
    assert event.descriptor.market_context == "http://mc.example"
    assert event.active_period.start == NOW
    assert event.active_period.duration == 2 * Q
    (signal,) = event.signals
    assert signal.signal_type is m.SignalType.SETPOINT
    assert [i.value for i in signal.intervals] == [1.0, 2.5]
    assert [i.uid for i in signal.intervals] == ["0", "1"]
    assert signal.item_base is not None
    assert signal.item_base.to_canonical(signal.intervals[1].value) == (2500.0, Unit.W)
    assert event.targets.ven_ids == ["ven-1"]
    assert event.response_required is m.ResponseRequired.ALWAYS


def test_openleadr_reports_decode_in_full() -> None:
    meta = decode(create_message("oadrRegisterReport", **CASES["oadrRegisterReport"]).encode())
    assert isinstance(meta, m.OadrRegisterReport)
    (description,) = meta.reports[0].descriptions
    assert description.r_id == "r1"
    assert description.report_data_source == m.Target(resource_ids=["dev1"])
    assert description.sampling_rate == m.SamplingRate(
        min_period=timedelta(seconds=10), max_period=Q
    )
    assert description.item_base is not None and description.item_base.kind is m.ItemKind.POWER_REAL

    data = decode(create_message("oadrUpdateReport", **CASES["oadrUpdateReport"]).encode())
    assert isinstance(data, m.OadrUpdateReport)
    (point,) = data.reports[0].intervals[0].data_points
    assert (point.r_id, point.value, point.confidence) == ("r1", 12.5, 90)


@pytest.mark.parametrize("message_type", sorted(m.MESSAGE_TYPES))
def test_openleadr_accepts_what_we_encode(
    message_type: str, samples: dict[str, m.OadrMessage]
) -> None:
    xml = encode(samples[message_type])
    validate_xml_schema(xml)  # openleadr's own XSD gate, as its VTN applies it to input
    parsed_type, payload = parse_message(xml)
    assert parsed_type == message_type
    assert payload


def test_an_openleadr_signed_message_decodes_with_its_signature_ignored() -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ven-1")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - timedelta(days=1))
        .not_valid_after(NOW + timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    xml = create_message(
        "oadrCreatedEvent",
        cert=cert.public_bytes(serialization.Encoding.PEM),
        key=key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
        **CASES["oadrCreatedEvent"],
    ).encode()
    assert b"SignatureValue" in xml
    msg = decode(xml, validate=True)
    assert isinstance(msg, m.OadrCreatedEvent)
    assert msg.event_responses[0].opt_type is m.OptType.OPT_IN
