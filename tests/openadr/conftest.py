"""Shared fixtures: the official 2.0b XSD (from the installed openleadr) and one fully populated
sample of every message type, so that every optional element is exercised at least once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from lxml import etree

from flexcoop.openadr import messages as m
from flexcoop.openadr.schema import load_schema

T0 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
H = timedelta(hours=1)
Q = timedelta(minutes=15)


@pytest.fixture(scope="session")
def schema() -> etree.XMLSchema:
    return load_schema()


def sample_event(event_id: str = "ev-1", mod: int = 2) -> m.Event:
    return m.Event(
        descriptor=m.EventDescriptor(
            event_id=event_id,
            modification_number=mod,
            modification_date=T0 - H,
            modification_reason="price update",
            priority=1,
            market_context="http://coop.example/markets/afrr",
            created_date_time=T0 - 2 * H,
            event_status=m.EventStatus.NEAR,
            test_event=True,
            vtn_comment="winter peak",
        ),
        active_period=m.ActivePeriod(
            start=T0,
            duration=H,
            start_after=timedelta(minutes=5),
            notification=H,
            ramp_up=Q,
            recovery=Q,
        ),
        signals=[
            m.EventSignal(
                signal_name=m.SignalName.LOAD_DISPATCH,
                signal_type=m.SignalType.SETPOINT,
                signal_id="sig-1",
                intervals=[m.Interval(uid=str(i), duration=Q, value=-1.5 * i) for i in range(4)],
                targets=m.Target(resource_ids=["heatpump-1"]),
                item_base=m.ItemBase.power_real(m.SiScaleCode.KILO),
                current_value=0.0,
            ),
            m.EventSignal(
                signal_name=m.SignalName.ELECTRICITY_PRICE,
                signal_type=m.SignalType.PRICE,
                signal_id="sig-2",
                intervals=[m.Interval(uid="0", start=T0, duration=H, value=0.31)],
                item_base=m.ItemBase.currency("EUR", per="kWh"),
            ),
        ],
        baseline=m.EventBaseline(
            start=T0,
            duration=H,
            intervals=[m.Interval(uid="0", duration=H, value=2.2)],
            baseline_id="bl-1",
            resource_ids=["heatpump-1"],
            baseline_name="high 5 of 10",
            item_base=m.ItemBase.power_real(m.SiScaleCode.KILO),
        ),
        targets=m.Target(
            ven_ids=["ven-1"], group_ids=["g1"], party_ids=["p1"], end_device_assets=["Thermostat"]
        ),
        response_required=m.ResponseRequired.ALWAYS,
    )


def sample_reports() -> list[m.Report]:
    metadata = m.Report(
        report_id="rep-meta",
        duration=timedelta(days=1),
        descriptions=[
            m.ReportDescription(
                r_id="pv_power",
                report_subject=m.Target(resource_ids=["pv1"]),
                report_data_source=m.Target(resource_ids=["meter1"]),
                report_type=m.ReportType.USAGE,
                item_base=m.ItemBase.power_real(),
                reading_type=m.ReadingType.DIRECT_READ,
                market_context="http://coop.example/markets/da",
                sampling_rate=m.SamplingRate(
                    min_period=timedelta(seconds=10), max_period=Q, on_change=False
                ),
            ),
            m.ReportDescription(
                r_id="status",
                report_type=m.ReportType.X_RESOURCE_STATUS,
                reading_type="x-notApplicable",
            ),
            m.ReportDescription(
                r_id="flex",
                report_type="x-flexibility",
                item_base=m.ItemBase.energy_real(m.SiScaleCode.KILO),
                reading_type=m.ReadingType.PROJECTED,
            ),
        ],
        report_request_id="0",
        report_specifier_id="spec-1",
        report_name=m.ReportName.METADATA_TELEMETRY_USAGE,
        created_date_time=T0,
    )
    data = m.Report(
        report_id="rep-1",
        start=T0,
        duration=H,
        intervals=[
            m.ReportInterval(
                uid="0",
                start=T0,
                duration=Q,
                data_points=[
                    m.DataPoint(
                        r_id="pv_power",
                        value=1234.5,
                        confidence=90,
                        accuracy=0.5,
                        quality=m.DataQuality.GOOD_NON_SPECIFIC,
                    ),
                    m.DataPoint(
                        r_id="status",
                        value=m.ResourceStatus(
                            online=True,
                            manual_override=False,
                            load_control_state=m.LoadControlState(
                                capacity=m.LoadControlStateValue(
                                    min=0, max=5000, current=1200, normal=2000
                                ),
                                set_point=m.LoadControlStateValue(current=21.5),
                            ),
                        ),
                    ),
                ],
            )
        ],
        report_request_id="rr-1",
        report_specifier_id="spec-1",
        report_name=m.ReportName.TELEMETRY_USAGE,
        created_date_time=T0 + Q,
    )
    return [metadata, data]


def sample_report_request() -> m.ReportRequest:
    return m.ReportRequest(
        report_request_id="rr-1",
        specifier=m.ReportSpecifier(
            report_specifier_id="spec-1",
            granularity=Q,
            report_back_duration=H,
            report_interval=m.Window(start=T0, duration=timedelta(days=1)),
            payloads=[
                m.SpecifierPayload(
                    r_id="pv_power", item_base=m.ItemBase.power_real(), reading_type="Direct Read"
                ),
                m.SpecifierPayload(r_id="status", reading_type="x-notApplicable"),
            ],
        ),
    )


def all_samples() -> dict[str, m.OadrMessage]:
    err = m.EiResponse(
        response_code=m.ResponseCode.OK, response_description="OK", request_id="req-1"
    )
    cancel = m.OadrCancelReport(
        request_id="req-9",
        report_request_ids=["rr-1", "rr-2"],
        report_to_follow=True,
        ven_id="ven-1",
    )
    samples: list[m.OadrMessage] = [
        m.OadrQueryRegistration(request_id="req-1"),
        m.OadrCreatePartyRegistration(
            request_id="req-1",
            registration_id="reg-1",
            ven_id="ven-1",
            transport_address="https://osb-1.example:8443",
            report_only=False,
            xml_signature=False,
            ven_name="osb-1",
            http_pull_model=True,
        ),
        m.OadrCreatedPartyRegistration(
            response=err,
            registration_id="reg-1",
            ven_id="ven-1",
            vtn_id="vtn-coop",
            profiles=[
                m.Profile(profile_name=m.ProfileName.A, transports=[m.TransportName.SIMPLE_HTTP]),
                m.Profile(transports=[m.TransportName.SIMPLE_HTTP, m.TransportName.XMPP]),
            ],
            poll_freq=timedelta(seconds=10),
            service_specific_info=[
                m.ServiceInfo(service_name=m.ServiceName.EI_EVENT, info={"k": "v", "k2": "v2"})
            ],
            extensions=[m.Extension(name="x-flexcoop", info={"flex_offer": "1"})],
        ),
        m.OadrCancelPartyRegistration(request_id="req-1", registration_id="reg-1", ven_id="ven-1"),
        m.OadrCanceledPartyRegistration(response=err, registration_id="reg-1", ven_id="ven-1"),
        m.OadrRequestReregistration(ven_id="ven-1"),
        m.OadrRequestEvent(request_id="req-1", ven_id="ven-1", reply_limit=5),
        m.OadrDistributeEvent(
            response=err,
            request_id="req-2",
            vtn_id="vtn-coop",
            events=[sample_event(), sample_event("ev-2", 0)],
        ),
        m.OadrCreatedEvent(
            response=err,
            event_responses=[
                m.EventResponse(
                    request_id="req-2",
                    event_id="ev-1",
                    modification_number=2,
                    opt_type=m.OptType.OPT_IN,
                ),
                m.EventResponse(
                    response_code=m.ResponseCode.SIGNAL_NOT_SUPPORTED,
                    response_description="no",
                    request_id="req-2",
                    event_id="ev-2",
                    modification_number=0,
                    opt_type=m.OptType.OPT_OUT,
                ),
            ],
            ven_id="ven-1",
        ),
        m.OadrRegisterReport(
            request_id="req-3", reports=sample_reports(), ven_id="ven-1", report_request_id="rr-0"
        ),
        m.OadrRegisteredReport(
            response=err, report_requests=[sample_report_request()], ven_id="ven-1"
        ),
        m.OadrCreateReport(
            request_id="req-4", report_requests=[sample_report_request()], ven_id="ven-1"
        ),
        m.OadrCreatedReport(response=err, pending_reports=["rr-1", "rr-2"], ven_id="ven-1"),
        m.OadrUpdateReport(request_id="req-5", reports=sample_reports()[1:], ven_id="ven-1"),
        m.OadrUpdatedReport(response=err, cancel_report=cancel, ven_id="ven-1"),
        cancel,
        m.OadrCanceledReport(response=err, pending_reports=[], ven_id="ven-1"),
        m.OadrCreateOpt(
            opt_id="opt-1",
            opt_type=m.OptType.OPT_OUT,
            opt_reason=m.OptReason.OVERRIDE_STATUS,
            market_context="http://coop.example/markets/da",
            ven_id="ven-1",
            vavailability=[m.Window(start=T0, duration=H), m.Window(start=T0 + 2 * H, duration=Q)],
            created_date_time=T0,
            request_id="req-6",
            event_id="ev-1",
            modification_number=2,
            targets=m.Target(resource_ids=["ev-charger"]),
            device_class=m.Target(end_device_assets=["Electric_Vehicle"]),
        ),
        m.OadrCreatedOpt(response=err, opt_id="opt-1"),
        m.OadrCancelOpt(request_id="req-7", opt_id="opt-1", ven_id="ven-1"),
        m.OadrCanceledOpt(response=err, opt_id="opt-1"),
        m.OadrPoll(ven_id="ven-1"),
        m.OadrResponse(response=err, ven_id="ven-1"),
    ]
    return {s.message_type: s for s in samples}


@pytest.fixture(scope="session")
def samples() -> dict[str, m.OadrMessage]:
    return all_samples()
