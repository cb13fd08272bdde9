"""Where every field of ``flexcoop.openadr.messages`` lives in OpenADR 2.0b XML.

Node order is the XSD sequence order (encoding relies on it; decoding does not).
"""

from __future__ import annotations

from typing import Any

from lxml import etree

from flexcoop.openadr import messages as m
from flexcoop.openadr.errors import CodecError
from flexcoop.openadr.xmlspec import (
    MISSING,
    Child,
    Const,
    Custom,
    Kind,
    Leaf,
    Spec,
    Wrap,
    decode_spec,
    encode_nodes,
    escape,
    format_value,
    parse_value,
    q,
    where,
)

T, TOK, INT, FLT, DEC, BOOL, DT, DUR = (
    Kind.TEXT,
    Kind.TOKEN,
    Kind.INT,
    Kind.FLOAT,
    Kind.DECIMAL,
    Kind.BOOL,
    Kind.DATETIME,
    Kind.DURATION,
)

DTSTART = (q("xcal", "dtstart"), q("xcal", "date-time"))
DURATION = (q("xcal", "duration"), q("xcal", "duration"))
UID = (q("xcal", "uid"), q("xcal", "text"))
PAYLOAD_FLOAT = (q("ei", "payloadFloat"), q("ei", "value"))
REQUEST_ID = (q("pyld", "requestID"),)
VEN_ID = (q("ei", "venID"),)

# --------------------------------------------------------------------------- item bases

_ITEM_TAGS: dict[str, m.ItemKind] = {
    q(info.namespace, kind.value): kind for kind, info in m.ITEM_KINDS.items()
}
_SI = q("scale", "siScaleCode")
_POWER_ATTRS = q("power", "powerAttributes")
_PULSE = q("oadr", "pulseFactor")


def _encode_item_base(out: list[str], item: m.ItemBase) -> None:
    info = m.ITEM_KINDS[item.kind]
    ns = info.namespace
    tag = f"{ns}:{item.kind.value}"
    out.append(
        f"<{tag}><{ns}:itemDescription>{escape(item.description)}</{ns}:itemDescription>"
        f"<{ns}:itemUnits>{escape(item.units)}</{ns}:itemUnits>"
    )
    if info.si_scale:
        out.append(f"<scale:siScaleCode>{item.si_scale_code.value}</scale:siScaleCode>")
    if info.power_attributes:
        attrs = item.power_attributes or m.PowerAttributes()
        out.append(
            f"<power:powerAttributes><power:hertz>{format_value(DEC, attrs.hertz)}</power:hertz>"
            f"<power:voltage>{format_value(DEC, attrs.voltage)}</power:voltage>"
            f"<power:ac>{format_value(BOOL, attrs.ac)}</power:ac></power:powerAttributes>"
        )
    if info.pulse_factor:
        out.append(f"<oadr:pulseFactor>{format_value(FLT, item.pulse_factor)}</oadr:pulseFactor>")
    out.append(f"</{tag}>")


def _decode_item_base(parent: etree._Element) -> Any:
    for el in parent.iterchildren():
        kind = _ITEM_TAGS.get(el.tag)
        if kind is None:
            continue
        ns = m.ITEM_KINDS[kind].namespace
        out: dict[str, Any] = {
            "kind": kind,
            "description": el.findtext(q(ns, "itemDescription"), ""),
            "units": el.findtext(q(ns, "itemUnits"), ""),
        }
        if kind is not m.ItemKind.CUSTOM:  # free text there; tokens or fixed values elsewhere
            out["description"] = out["description"].strip()
            out["units"] = out["units"].strip()
        si = el.findtext(_SI)
        if si is not None:
            out["si_scale_code"] = si.strip()
        pa = el.find(_POWER_ATTRS)
        if pa is not None:
            out["power_attributes"] = {
                name: pa.findtext(q("power", name), "").strip()
                for name in ("hertz", "voltage", "ac")
            }
        pulse = el.findtext(_PULSE)
        if pulse is not None:
            out["pulse_factor"] = pulse.strip()
        return out
    return MISSING


ITEM_BASE = Custom("item_base", _encode_item_base, _decode_item_base, optional=True)

# --------------------------------------------------------------------------- shared blocks

EI_RESPONSE = Spec(
    m.EiResponse,
    (
        Leaf("response_code", (q("ei", "responseCode"),), INT),
        Leaf("response_description", (q("ei", "responseDescription"),), optional=True),
        Leaf("request_id", REQUEST_ID),
    ),
)
RESPONSE = Child("response", q("ei", "eiResponse"), EI_RESPONSE)

TARGET = Spec(
    m.Target,
    (
        Leaf("end_device_assets", (q("power", "endDeviceAsset"), q("power", "mrid")), many=True),
        Leaf("group_ids", (q("ei", "groupID"),), many=True),
        Leaf("group_names", (q("ei", "groupName"),), many=True),
        Leaf("resource_ids", (q("ei", "resourceID"),), many=True),
        Leaf("ven_ids", VEN_ID, many=True),
        Leaf("party_ids", (q("ei", "partyID"),), many=True),
    ),
)

WINDOW = Spec(
    m.Window,
    (Wrap(q("xcal", "properties"), (Leaf("start", DTSTART, DT), Leaf("duration", DURATION, DUR))),),
)

# --------------------------------------------------------------------------- events

INTERVAL = Spec(
    m.Interval,
    (
        Leaf("start", DTSTART, DT, optional=True),
        Leaf("duration", DURATION, DUR, optional=True),
        Leaf("uid", UID, optional=True),
        Leaf("value", (q("ei", "signalPayload"), *PAYLOAD_FLOAT), FLT),
    ),
)
INTERVALS = Wrap(
    q("strm", "intervals"), (Child("intervals", q("ei", "interval"), INTERVAL, many=True),)
)

EVENT_SIGNAL = Spec(
    m.EventSignal,
    (
        INTERVALS,
        Child("targets", q("ei", "eiTarget"), TARGET, optional=True),
        Leaf("signal_name", (q("ei", "signalName"),), TOK),
        Leaf("signal_type", (q("ei", "signalType"),), TOK),
        Leaf("signal_id", (q("ei", "signalID"),)),
        ITEM_BASE,
        Leaf("current_value", (q("ei", "currentValue"), *PAYLOAD_FLOAT), FLT, optional=True),
    ),
)

EVENT_BASELINE = Spec(
    m.EventBaseline,
    (
        Leaf("start", DTSTART, DT),
        Leaf("duration", DURATION, DUR),
        INTERVALS,
        Leaf("baseline_id", (q("ei", "baselineID"),)),
        Leaf("resource_ids", (q("ei", "resourceID"),), many=True),
        Leaf("baseline_name", (q("ei", "baselineName"),)),
        ITEM_BASE,
    ),
)


def _encode_test_event(out: list[str], value: bool) -> None:
    out.append(f"<ei:testEvent>{format_value(BOOL, value)}</ei:testEvent>")


def _decode_test_event(parent: etree._Element) -> Any:
    # xs:string in the XSD; "true" may be followed by test parameters, anything else is false.
    text = parent.findtext(q("ei", "testEvent"))
    return MISSING if text is None else text.strip().lower().startswith(("true", "1"))


EVENT_DESCRIPTOR = Spec(
    m.EventDescriptor,
    (
        Leaf("event_id", (q("ei", "eventID"),)),
        Leaf("modification_number", (q("ei", "modificationNumber"),), INT),
        Leaf("modification_date", (q("ei", "modificationDateTime"),), DT, optional=True),
        Leaf("modification_reason", (q("ei", "modificationReason"),), optional=True),
        Leaf("priority", (q("ei", "priority"),), INT, optional=True),
        Leaf("market_context", (q("ei", "eiMarketContext"), q("emix", "marketContext"))),
        Leaf("created_date_time", (q("ei", "createdDateTime"),), DT),
        Leaf("event_status", (q("ei", "eventStatus"),), TOK),
        Custom("test_event", _encode_test_event, _decode_test_event, optional=True),
        Leaf("vtn_comment", (q("ei", "vtnComment"),), optional=True),
    ),
)

ACTIVE_PERIOD = Spec(
    m.ActivePeriod,
    (
        Wrap(
            q("xcal", "properties"),
            (
                Leaf("start", DTSTART, DT),
                Leaf("duration", DURATION, DUR),
                Leaf(
                    "start_after",
                    (q("xcal", "tolerance"), q("xcal", "tolerate"), q("xcal", "startafter")),
                    DUR,
                    optional=True,
                ),
                Leaf(
                    "notification",
                    (q("ei", "x-eiNotification"), q("xcal", "duration")),
                    DUR,
                    optional=True,
                ),
                Leaf("ramp_up", (q("ei", "x-eiRampUp"), q("xcal", "duration")), DUR, optional=True),
                Leaf(
                    "recovery", (q("ei", "x-eiRecovery"), q("xcal", "duration")), DUR, optional=True
                ),
            ),
        ),
        Const(q("xcal", "components")),
    ),
)

EVENT = Spec(
    m.Event,
    (
        Wrap(
            q("ei", "eiEvent"),
            (
                Child("descriptor", q("ei", "eventDescriptor"), EVENT_DESCRIPTOR),
                Child("active_period", q("ei", "eiActivePeriod"), ACTIVE_PERIOD),
                Wrap(
                    q("ei", "eiEventSignals"),
                    (
                        Child("signals", q("ei", "eiEventSignal"), EVENT_SIGNAL, many=True),
                        Child(
                            "baseline", q("ei", "eiEventBaseline"), EVENT_BASELINE, optional=True
                        ),
                    ),
                ),
                Child("targets", q("ei", "eiTarget"), TARGET),
            ),
        ),
        Leaf("response_required", (q("oadr", "oadrResponseRequired"),), TOK),
    ),
)

QUALIFIED_EVENT_ID = q("ei", "qualifiedEventID")
EVENT_ID = (q("ei", "eventID"),)
MODIFICATION_NUMBER = (q("ei", "modificationNumber"),)

EVENT_RESPONSE = Spec(
    m.EventResponse,
    (
        Leaf("response_code", (q("ei", "responseCode"),), INT),
        Leaf("response_description", (q("ei", "responseDescription"),), optional=True),
        Leaf("request_id", REQUEST_ID),
        Wrap(
            QUALIFIED_EVENT_ID,
            (Leaf("event_id", EVENT_ID), Leaf("modification_number", MODIFICATION_NUMBER, INT)),
        ),
        Leaf("opt_type", (q("ei", "optType"),), TOK),
    ),
)

# --------------------------------------------------------------------------- reports

_FLOAT_TAG = q("ei", "payloadFloat")
_STATUS_TAG = q("oadr", "oadrPayloadResourceStatus")

LOAD_CONTROL_VALUE = Spec(
    m.LoadControlStateValue,
    (
        Leaf("min", (q("oadr", "oadrMin"),), FLT, optional=True),
        Leaf("max", (q("oadr", "oadrMax"),), FLT, optional=True),
        Leaf("current", (q("oadr", "oadrCurrent"),), FLT),
        Leaf("normal", (q("oadr", "oadrNormal"),), FLT, optional=True),
    ),
)
LOAD_CONTROL_STATE = Spec(
    m.LoadControlState,
    tuple(
        Child(name, q("oadr", tag), LOAD_CONTROL_VALUE, optional=True)
        for name, tag in (
            ("capacity", "oadrCapacity"),
            ("level_offset", "oadrLevelOffset"),
            ("percent_offset", "oadrPercentOffset"),
            ("set_point", "oadrSetPoint"),
        )
    ),
)
RESOURCE_STATUS = Spec(
    m.ResourceStatus,
    (
        Leaf("online", (q("oadr", "oadrOnline"),), BOOL),
        Leaf("manual_override", (q("oadr", "oadrManualOverride"),), BOOL),
        Child(
            "load_control_state",
            q("oadr", "oadrLoadControlState"),
            LOAD_CONTROL_STATE,
            optional=True,
        ),
    ),
)


def _encode_data_value(out: list[str], value: float | m.ResourceStatus) -> None:
    if isinstance(value, m.ResourceStatus):
        out.append("<oadr:oadrPayloadResourceStatus>")
        encode_nodes(out, value, RESOURCE_STATUS.nodes)
        out.append("</oadr:oadrPayloadResourceStatus>")
    else:
        out.append(
            f"<ei:payloadFloat><ei:value>{format_value(FLT, value)}</ei:value></ei:payloadFloat>"
        )


def _decode_data_value(parent: etree._Element) -> Any:
    el = parent.find(_FLOAT_TAG)
    if el is not None:
        value = el.find(q("ei", "value"))
        if value is None:
            raise CodecError(f"{where(el)}: missing ei:value", m.ResponseCode.INVALID_DATA)
        return parse_value(FLT, value.text, value)
    el = parent.find(_STATUS_TAG)
    return MISSING if el is None else decode_spec(el, RESOURCE_STATUS)


DATA_POINT = Spec(
    m.DataPoint,
    (
        Leaf("r_id", (q("ei", "rID"),)),
        Leaf("confidence", (q("ei", "confidence"),), INT, optional=True),
        Leaf("accuracy", (q("ei", "accuracy"),), FLT, optional=True),
        Custom("value", _encode_data_value, _decode_data_value),
        Leaf("quality", (q("oadr", "oadrDataQuality"),), TOK, optional=True),
    ),
)

REPORT_INTERVAL = Spec(
    m.ReportInterval,
    (
        Leaf("start", DTSTART, DT, optional=True),
        Leaf("duration", DURATION, DUR, optional=True),
        Leaf("uid", UID, optional=True),
        Child("data_points", q("oadr", "oadrReportPayload"), DATA_POINT, many=True),
    ),
)

SAMPLING_RATE = Spec(
    m.SamplingRate,
    (
        Leaf("min_period", (q("oadr", "oadrMinPeriod"),), DUR),
        Leaf("max_period", (q("oadr", "oadrMaxPeriod"),), DUR),
        Leaf("on_change", (q("oadr", "oadrOnChange"),), BOOL),
    ),
)

REPORT_DESCRIPTION = Spec(
    m.ReportDescription,
    (
        Leaf("r_id", (q("ei", "rID"),)),
        Child("report_subject", q("ei", "reportSubject"), TARGET, optional=True),
        Child("report_data_source", q("ei", "reportDataSource"), TARGET, optional=True),
        Leaf("report_type", (q("ei", "reportType"),), TOK),
        ITEM_BASE,
        Leaf("reading_type", (q("ei", "readingType"),), TOK),
        Leaf("market_context", (q("emix", "marketContext"),), optional=True),
        Child("sampling_rate", q("oadr", "oadrSamplingRate"), SAMPLING_RATE, optional=True),
    ),
)

REPORT = Spec(
    m.Report,
    (
        Leaf("start", DTSTART, DT, optional=True),
        Leaf("duration", DURATION, DUR, optional=True),
        Wrap(
            q("strm", "intervals"),
            (Child("intervals", q("ei", "interval"), REPORT_INTERVAL, many=True),),
            optional=True,
        ),
        Leaf("report_id", (q("ei", "eiReportID"),), optional=True),
        Child("descriptions", q("oadr", "oadrReportDescription"), REPORT_DESCRIPTION, many=True),
        Leaf("report_request_id", (q("ei", "reportRequestID"),)),
        Leaf("report_specifier_id", (q("ei", "reportSpecifierID"),)),
        Leaf("report_name", (q("ei", "reportName"),), TOK, optional=True),
        Leaf("created_date_time", (q("ei", "createdDateTime"),), DT),
    ),
)

SPECIFIER_PAYLOAD = Spec(
    m.SpecifierPayload,
    (
        Leaf("r_id", (q("ei", "rID"),)),
        ITEM_BASE,
        Leaf("reading_type", (q("ei", "readingType"),), TOK),
    ),
)

REPORT_SPECIFIER = Spec(
    m.ReportSpecifier,
    (
        Leaf("report_specifier_id", (q("ei", "reportSpecifierID"),)),
        Leaf("granularity", (q("xcal", "granularity"), q("xcal", "duration")), DUR),
        Leaf("report_back_duration", (q("ei", "reportBackDuration"), q("xcal", "duration")), DUR),
        Child("report_interval", q("ei", "reportInterval"), WINDOW, optional=True),
        Child("payloads", q("ei", "specifierPayload"), SPECIFIER_PAYLOAD, many=True),
    ),
)

REPORT_REQUEST = Spec(
    m.ReportRequest,
    (
        Leaf("report_request_id", (q("ei", "reportRequestID"),)),
        Child("specifier", q("ei", "reportSpecifier"), REPORT_SPECIFIER),
    ),
)

PENDING_REPORTS = Wrap(
    q("oadr", "oadrPendingReports"),
    (Leaf("pending_reports", (q("ei", "reportRequestID"),), many=True),),
)

# --------------------------------------------------------------------------- registration

PROFILE = Spec(
    m.Profile,
    (
        Leaf("profile_name", (q("oadr", "oadrProfileName"),), TOK),
        Wrap(
            q("oadr", "oadrTransports"),
            (
                Leaf(
                    "transports",
                    (q("oadr", "oadrTransport"), q("oadr", "oadrTransportName")),
                    TOK,
                    many=True,
                ),
            ),
        ),
    ),
)

_INFO = q("oadr", "oadrInfo")


def _info_codec(field: str) -> Custom:
    """``oadrInfo`` key/value pairs ↔ a dict (order kept)."""

    def encode(out: list[str], info: dict[str, str]) -> None:
        for key, value in info.items():
            out.append(
                f"<oadr:oadrInfo><oadr:oadrKey>{escape(key)}</oadr:oadrKey>"
                f"<oadr:oadrValue>{escape(value)}</oadr:oadrValue></oadr:oadrInfo>"
            )

    def decode(parent: etree._Element) -> Any:
        return {
            el.findtext(q("oadr", "oadrKey"), ""): el.findtext(q("oadr", "oadrValue"), "")
            for el in parent.iterchildren(_INFO)
        }

    return Custom(field, encode, decode)


SERVICE_INFO = Spec(
    m.ServiceInfo, (Leaf("service_name", (q("oadr", "oadrServiceName"),), TOK), _info_codec("info"))
)
EXTENSION = Spec(
    m.Extension, (Leaf("name", (q("oadr", "oadrExtensionName"),)), _info_codec("info"))
)

# --------------------------------------------------------------------------- messages

OPT_ID = (q("ei", "optID"),)
REGISTRATION_ID = (q("ei", "registrationID"),)

MESSAGE_SPECS: dict[type[m.OadrMessage], Spec] = {
    m.OadrQueryRegistration: Spec(m.OadrQueryRegistration, (Leaf("request_id", REQUEST_ID),)),
    m.OadrCreatePartyRegistration: Spec(
        m.OadrCreatePartyRegistration,
        (
            Leaf("request_id", REQUEST_ID),
            Leaf("registration_id", REGISTRATION_ID, optional=True),
            Leaf("ven_id", VEN_ID, optional=True),
            Leaf("profile_name", (q("oadr", "oadrProfileName"),), TOK),
            Leaf("transport_name", (q("oadr", "oadrTransportName"),), TOK),
            Leaf("transport_address", (q("oadr", "oadrTransportAddress"),), optional=True),
            Leaf("report_only", (q("oadr", "oadrReportOnly"),), BOOL),
            Leaf("xml_signature", (q("oadr", "oadrXmlSignature"),), BOOL),
            Leaf("ven_name", (q("oadr", "oadrVenName"),), optional=True),
            Leaf("http_pull_model", (q("oadr", "oadrHttpPullModel"),), BOOL, optional=True),
        ),
    ),
    m.OadrCreatedPartyRegistration: Spec(
        m.OadrCreatedPartyRegistration,
        (
            RESPONSE,
            Leaf("registration_id", REGISTRATION_ID, optional=True),
            Leaf("ven_id", VEN_ID, optional=True),
            Leaf("vtn_id", (q("ei", "vtnID"),)),
            Wrap(
                q("oadr", "oadrProfiles"),
                (Child("profiles", q("oadr", "oadrProfile"), PROFILE, many=True),),
            ),
            Leaf(
                "poll_freq",
                (q("oadr", "oadrRequestedOadrPollFreq"), q("xcal", "duration")),
                DUR,
                optional=True,
            ),
            Wrap(
                q("oadr", "oadrServiceSpecificInfo"),
                (
                    Child(
                        "service_specific_info", q("oadr", "oadrService"), SERVICE_INFO, many=True
                    ),
                ),
                optional=True,
            ),
            Wrap(
                q("oadr", "oadrExtensions"),
                (Child("extensions", q("oadr", "oadrExtension"), EXTENSION, many=True),),
                optional=True,
            ),
        ),
    ),
    m.OadrCancelPartyRegistration: Spec(
        m.OadrCancelPartyRegistration,
        (
            Leaf("request_id", REQUEST_ID),
            Leaf("registration_id", REGISTRATION_ID),
            Leaf("ven_id", VEN_ID, optional=True),
        ),
    ),
    m.OadrCanceledPartyRegistration: Spec(
        m.OadrCanceledPartyRegistration,
        (
            RESPONSE,
            Leaf("registration_id", REGISTRATION_ID, optional=True),
            Leaf("ven_id", VEN_ID, optional=True),
        ),
    ),
    m.OadrRequestReregistration: Spec(m.OadrRequestReregistration, (Leaf("ven_id", VEN_ID),)),
    m.OadrRequestEvent: Spec(
        m.OadrRequestEvent,
        (
            Wrap(
                q("pyld", "eiRequestEvent"),
                (
                    Leaf("request_id", REQUEST_ID),
                    Leaf("ven_id", VEN_ID),
                    Leaf("reply_limit", (q("pyld", "replyLimit"),), INT, optional=True),
                ),
            ),
        ),
    ),
    m.OadrDistributeEvent: Spec(
        m.OadrDistributeEvent,
        (
            Child("response", q("ei", "eiResponse"), EI_RESPONSE, optional=True),
            Leaf("request_id", REQUEST_ID),
            Leaf("vtn_id", (q("ei", "vtnID"),)),
            Child("events", q("oadr", "oadrEvent"), EVENT, many=True),
        ),
    ),
    m.OadrCreatedEvent: Spec(
        m.OadrCreatedEvent,
        (
            Wrap(
                q("pyld", "eiCreatedEvent"),
                (
                    RESPONSE,
                    Wrap(
                        q("ei", "eventResponses"),
                        (
                            Child(
                                "event_responses",
                                q("ei", "eventResponse"),
                                EVENT_RESPONSE,
                                many=True,
                            ),
                        ),
                        optional=True,
                    ),
                    Leaf("ven_id", VEN_ID),
                ),
            ),
        ),
    ),
    m.OadrRegisterReport: Spec(
        m.OadrRegisterReport,
        (
            Leaf("request_id", REQUEST_ID),
            Child("reports", q("oadr", "oadrReport"), REPORT, many=True),
            Leaf("ven_id", VEN_ID, optional=True),
            Leaf("report_request_id", (q("ei", "reportRequestID"),), optional=True),
        ),
    ),
    m.OadrRegisteredReport: Spec(
        m.OadrRegisteredReport,
        (
            RESPONSE,
            Child("report_requests", q("oadr", "oadrReportRequest"), REPORT_REQUEST, many=True),
            Leaf("ven_id", VEN_ID, optional=True),
        ),
    ),
    m.OadrCreateReport: Spec(
        m.OadrCreateReport,
        (
            Leaf("request_id", REQUEST_ID),
            Child("report_requests", q("oadr", "oadrReportRequest"), REPORT_REQUEST, many=True),
            Leaf("ven_id", VEN_ID, optional=True),
        ),
    ),
    m.OadrCreatedReport: Spec(
        m.OadrCreatedReport, (RESPONSE, PENDING_REPORTS, Leaf("ven_id", VEN_ID, optional=True))
    ),
    m.OadrUpdateReport: Spec(
        m.OadrUpdateReport,
        (
            Leaf("request_id", REQUEST_ID),
            Child("reports", q("oadr", "oadrReport"), REPORT, many=True),
            Leaf("ven_id", VEN_ID, optional=True),
        ),
    ),
    m.OadrCanceledReport: Spec(
        m.OadrCanceledReport, (RESPONSE, PENDING_REPORTS, Leaf("ven_id", VEN_ID, optional=True))
    ),
    m.OadrCreateOpt: Spec(
        m.OadrCreateOpt,
        (
            Leaf("opt_id", OPT_ID),
            Leaf("opt_type", (q("ei", "optType"),), TOK),
            Leaf("opt_reason", (q("ei", "optReason"),), TOK),
            Leaf("market_context", (q("emix", "marketContext"),), optional=True),
            Leaf("ven_id", VEN_ID),
            Wrap(
                q("xcal", "vavailability"),
                (
                    Wrap(
                        q("xcal", "components"),
                        (Child("vavailability", q("xcal", "available"), WINDOW, many=True),),
                    ),
                ),
                optional=True,
            ),
            Leaf("created_date_time", (q("ei", "createdDateTime"),), DT),
            Leaf("request_id", REQUEST_ID),
            Wrap(
                QUALIFIED_EVENT_ID,
                (Leaf("event_id", EVENT_ID), Leaf("modification_number", MODIFICATION_NUMBER, INT)),
                optional=True,
            ),
            Child("targets", q("ei", "eiTarget"), TARGET),
            Child("device_class", q("oadr", "oadrDeviceClass"), TARGET, optional=True),
        ),
    ),
    m.OadrCreatedOpt: Spec(m.OadrCreatedOpt, (RESPONSE, Leaf("opt_id", OPT_ID))),
    m.OadrCancelOpt: Spec(
        m.OadrCancelOpt,
        (Leaf("request_id", REQUEST_ID), Leaf("opt_id", OPT_ID), Leaf("ven_id", VEN_ID)),
    ),
    m.OadrCanceledOpt: Spec(m.OadrCanceledOpt, (RESPONSE, Leaf("opt_id", OPT_ID, optional=True))),
    m.OadrPoll: Spec(m.OadrPoll, (Leaf("ven_id", VEN_ID),)),
    m.OadrResponse: Spec(m.OadrResponse, (RESPONSE, Leaf("ven_id", VEN_ID, optional=True))),
}

_CANCEL_REPORT_NODES: tuple[Any, ...] = (
    Leaf("request_id", REQUEST_ID),
    Leaf("report_request_ids", (q("ei", "reportRequestID"),), many=True),
    Leaf("report_to_follow", (q("pyld", "reportToFollow"),), BOOL),
    Leaf("ven_id", VEN_ID, optional=True),
)
MESSAGE_SPECS[m.OadrCancelReport] = Spec(m.OadrCancelReport, _CANCEL_REPORT_NODES)
MESSAGE_SPECS[m.OadrUpdatedReport] = Spec(
    m.OadrUpdatedReport,
    (
        RESPONSE,
        Child(
            "cancel_report",
            q("oadr", "oadrCancelReport"),
            MESSAGE_SPECS[m.OadrCancelReport],
            optional=True,
        ),
        Leaf("ven_id", VEN_ID, optional=True),
    ),
)

SPECS_BY_TAG: dict[str, Spec] = {
    q("oadr", cls.message_type): spec for cls, spec in MESSAGE_SPECS.items()
}
