"""Hypothesis round trips for the two big payloads (events and reports): whatever valid model we
build, its XML validates against the 2.0b XSD and decodes back to an equal model."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import quote

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from flexcoop.openadr import messages as m
from flexcoop.openadr.codec import decode, encode
from flexcoop.openadr.schema import validate_tree

# XML 1.0 cannot carry most controls, surrogates or non-characters; markup characters and the
# whitespace controls it does allow are drawn on purpose (escaping, \r normalisation).
texts = st.text(
    st.characters(
        codec="utf-8", exclude_categories=("Cs", "Cc", "Cn"), include_characters="\t\n\r&<>]"
    ),
    min_size=1,
    max_size=10,
)
times = st.datetimes(
    min_value=datetime(1900, 1, 1), max_value=datetime(9999, 12, 30), timezones=st.just(UTC)
)
durations = st.integers(-(10**9), 10**9).map(lambda s: timedelta(seconds=s))
positive = st.integers(0, 10**7).map(lambda s: timedelta(seconds=s))
floats = st.floats(allow_nan=False)
ids = st.lists(texts, max_size=2)
uris = texts.map(lambda t: "http://mc.example/" + quote(t))
opt = st.none().__or__

targets = st.builds(
    m.Target,
    ven_ids=ids,
    group_ids=ids,
    group_names=ids,
    resource_ids=ids,
    party_ids=ids,
    end_device_assets=ids,
)
item_bases = st.one_of(
    st.sampled_from(list(m.SiScaleCode)).map(m.ItemBase.power_real),
    st.sampled_from(list(m.SiScaleCode)).map(m.ItemBase.energy_real),
    st.sampled_from(sorted(m.ISO_4217)).flatmap(
        lambda code: st.sampled_from(["", "kWh", "kW"]).map(
            lambda per: m.ItemBase.currency(code, per=per)
        )
    ),
    st.just(m.ItemBase.temperature()),
    st.just(m.ItemBase.voltage()),
    st.builds(m.ItemBase, kind=st.just(m.ItemKind.CUSTOM), description=texts, units=texts),
    st.builds(m.ItemBase, kind=st.just(m.ItemKind.PULSE_COUNT), pulse_factor=floats),
)
intervals = st.builds(
    m.Interval, uid=opt(texts), start=opt(times), duration=opt(durations), value=floats
)
open_names = st.sampled_from(list(m.SignalName)) | texts.map(lambda t: "x-" + t.strip() + "z")
signals = st.builds(
    m.EventSignal,
    signal_name=open_names,
    signal_type=st.sampled_from(list(m.SignalType)),
    signal_id=texts,
    intervals=st.lists(intervals, min_size=1, max_size=3),
    targets=opt(targets),
    item_base=opt(item_bases),
    current_value=opt(floats),
)
events = st.builds(
    m.Event,
    descriptor=st.builds(
        m.EventDescriptor,
        event_id=texts,
        modification_number=st.integers(0, 2**32 - 1),
        modification_date=opt(times),
        modification_reason=opt(texts),
        priority=opt(st.integers(0, 2**32 - 1)),
        market_context=uris,
        created_date_time=times,
        event_status=st.sampled_from(list(m.EventStatus)),
        test_event=st.booleans(),
        vtn_comment=opt(texts),
    ),
    active_period=st.builds(
        m.ActivePeriod,
        start=times,
        duration=positive,
        start_after=opt(positive),
        notification=opt(positive),
        ramp_up=opt(positive),
        recovery=opt(positive),
    ),
    signals=st.lists(signals, min_size=1, max_size=3),
    baseline=opt(
        st.builds(
            m.EventBaseline,
            start=times,
            duration=positive,
            intervals=st.lists(intervals, min_size=1, max_size=2),
            baseline_id=texts,
            resource_ids=ids,
            baseline_name=texts,
            item_base=opt(item_bases),
        )
    ),
    targets=targets,
    response_required=st.sampled_from(list(m.ResponseRequired)),
)

lc_values = st.builds(
    m.LoadControlStateValue, min=opt(floats), max=opt(floats), current=floats, normal=opt(floats)
)
statuses = st.builds(
    m.ResourceStatus,
    online=st.booleans(),
    manual_override=st.booleans(),
    load_control_state=opt(
        st.builds(
            m.LoadControlState,
            capacity=opt(lc_values),
            level_offset=opt(lc_values),
            percent_offset=opt(lc_values),
            set_point=opt(lc_values),
        )
    ),
)
data_points = st.builds(
    m.DataPoint,
    r_id=texts,
    value=floats | statuses,
    confidence=opt(st.integers(0, 100)),
    accuracy=opt(floats),
    quality=opt(st.sampled_from(list(m.DataQuality))),
)
descriptions = st.builds(
    m.ReportDescription,
    r_id=texts,
    report_subject=opt(targets),
    report_data_source=opt(targets),
    report_type=st.sampled_from(list(m.ReportType)),
    item_base=opt(item_bases),
    reading_type=st.sampled_from(list(m.ReadingType)),
    market_context=opt(uris),
    sampling_rate=opt(
        st.builds(m.SamplingRate, min_period=positive, max_period=positive, on_change=st.booleans())
    ),
)
reports = st.builds(
    m.Report,
    report_id=opt(texts),
    start=opt(times),
    duration=opt(durations),
    intervals=st.lists(
        st.builds(
            m.ReportInterval,
            uid=opt(texts),
            start=opt(times),
            duration=opt(durations),
            data_points=st.lists(data_points, min_size=1, max_size=3),
        ),
        max_size=3,
    ),
    descriptions=st.lists(descriptions, max_size=3),
    report_request_id=texts,
    report_specifier_id=texts,
    report_name=opt(st.sampled_from(list(m.ReportName))),
    created_date_time=times,
)

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _check(msg: m.OadrMessage, schema: etree.XMLSchema) -> None:
    xml = encode(msg)
    validate_tree(etree.fromstring(xml), schema)
    back = decode(xml, max_bytes=10_000_000)
    assert back == msg, _difference(msg.model_dump(), back.model_dump())


def _difference(a: object, b: object, path: str = "") -> str:
    """Where two dumps first differ, for a readable failure."""
    if isinstance(a, dict) and isinstance(b, dict):
        for key in a:
            found = _difference(a[key], b.get(key), f"{path}.{key}")
            if found:
                return found
        return ""
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            found = _difference(x, y, f"{path}[{i}]")
            if found:
                return found
        return ""
    return "" if a == b else f"{path}: {a!r} != {b!r}"


@SETTINGS
@given(
    st.lists(events, max_size=3), opt(st.builds(m.EiResponse, response_code=st.integers(100, 999)))
)
def test_distribute_event_round_trips(
    schema: etree.XMLSchema, evs: list[m.Event], response: m.EiResponse | None
) -> None:
    _check(
        m.OadrDistributeEvent(response=response, request_id="r", vtn_id="vtn", events=evs), schema
    )


@SETTINGS
@given(st.lists(reports, max_size=3), opt(texts))
def test_update_report_round_trips(
    schema: etree.XMLSchema, reps: list[m.Report], ven_id: str | None
) -> None:
    _check(m.OadrUpdateReport(request_id="r", reports=reps, ven_id=ven_id), schema)


uri_chars = st.characters(min_codepoint=32, max_codepoint=126) | st.sampled_from("üé€")


@settings(max_examples=300, deadline=None)
@given(
    st.text(uri_chars, min_size=1, max_size=20)
    | st.text(uri_chars, max_size=20).map(lambda t: "http://" + t)
)
def test_every_market_context_the_model_accepts_is_a_valid_xsd_any_uri(
    schema: etree.XMLSchema, text: str
) -> None:
    try:
        opt = m.OadrCreateOpt(
            opt_type=m.OptType.OPT_IN,
            opt_reason="economic",
            ven_id="v",
            created_date_time=datetime(2026, 1, 1, tzinfo=UTC),
            market_context=text,
        )
    except ValueError:
        return
    validate_tree(etree.fromstring(encode(opt)), schema)


def test_every_iso_4217_code_we_accept_is_in_the_schema(schema: etree.XMLSchema) -> None:
    signals = [
        m.EventSignal(
            signal_id=code,
            intervals=[m.Interval(value=1)],
            item_base=m.ItemBase.currency(code, per="kWh"),
        )
        for code in sorted(m.ISO_4217)
    ]
    event = m.Event(
        descriptor=m.EventDescriptor(
            event_id="e", created_date_time=datetime(2026, 1, 1, tzinfo=UTC)
        ),
        active_period=m.ActivePeriod(
            start=datetime(2026, 1, 1, tzinfo=UTC), duration=timedelta(hours=1)
        ),
        signals=signals,
    )
    _check(m.OadrDistributeEvent(vtn_id="vtn", events=[event]), schema)
