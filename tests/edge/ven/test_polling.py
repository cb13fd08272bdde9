"""Polling: back-off while the VTN is down, normal interval after, every poll answer handled."""

from __future__ import annotations

import random
import socket
from collections import deque

from flexcoop.edge.model import DeviceInfo, DeviceKind, Point
from flexcoop.edge.ven.backoff import Backoff
from flexcoop.openadr import messages as m
from flexcoop.units import Unit, utcnow

from .conftest import RecordingVtn, StaticTelemetry, make_ven


def test_backoff_grows_with_jitter_up_to_the_cap_and_resets():
    b = Backoff(base_s=1.0, cap_s=60.0, rng=random.Random(7))
    delays = [b.next_delay() for _ in range(10)]
    for n, d in enumerate(delays):
        ceiling = min(60.0, 2.0**n)
        assert ceiling / 2 <= d <= ceiling
    assert max(delays) <= 60.0 and delays[-1] >= 30.0
    assert len({round(d, 6) for d in delays[6:]}) > 1  # jittered, not lock-step
    b.reset()
    assert b.next_delay() <= 1.0


def unused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_backs_off_while_down_then_resumes(store, telemetry: StaticTelemetry):
    peer = RecordingVtn()
    peer.port = unused_port()  # nothing listens there yet
    async with make_ven(peer.url, store, telemetry) as ven:
        await peer.wait_for(lambda: ven._poll_backoff.failures >= 3, within_s=10)
        down = ven.status()
        await peer.start()
        try:
            await ven.wait_registered()
            polls = len(peer.of_type(m.OadrPoll))
            await peer.wait_for(lambda: len(peer.of_type(m.OadrPoll)) >= polls + 3)
            up = ven.status()
        finally:
            await peer.stop()
    assert not down.registered and down.retry_in_s is not None and down.retry_in_s > 0
    assert "EiRegisterParty" in (down.last_error or "")
    assert up.registered and up.retry_in_s is None and up.last_error is None
    assert up.last_poll is not None and ven._poll_backoff.failures == 0


async def test_server_errors_back_off_and_recover(vtn: RecordingVtn, store, telemetry):
    async with make_ven(vtn.url, store, telemetry) as ven:
        await ven.wait_registered()
        vtn.http_status["oadrPoll"] = deque([500, 503, 500])
        await vtn.wait_for(lambda: not vtn.http_status["oadrPoll"])
        polls = len(vtn.of_type(m.OadrPoll))
        await vtn.wait_for(lambda: len(vtn.of_type(m.OadrPoll)) >= polls + 2)
        status = ven.status()
    assert status.registered and status.retry_in_s is None and status.last_error is None


async def test_other_poll_answers(vtn: RecordingVtn, store, telemetry):
    async with make_ven(vtn.url, store, telemetry) as ven:
        await ven.wait_registered()
        offer = m.OadrRegisterReport(
            reports=[
                m.Report(
                    report_specifier_id="vtn-prices",
                    report_name="METADATA_TELEMETRY_USAGE",
                    created_date_time=utcnow(),
                )
            ]
        )
        vtn.queue.extend([m.OadrCreatedOpt(opt_id="stray"), offer])  # odd one out, then a real one
        await vtn.wait_for(lambda: bool(vtn.of_type(m.OadrRegisteredReport)))
        polls = len(vtn.of_type(m.OadrPoll))
        await vtn.wait_for(lambda: len(vtn.of_type(m.OadrPoll)) >= polls + 2)
        assert ven.status().registered
    [answer] = vtn.of_type(m.OadrRegisteredReport)
    assert answer.response.request_id == offer.request_id and answer.report_requests == []


async def test_new_devices_are_registered_as_report_capabilities(vtn: RecordingVtn, store):
    telemetry = StaticTelemetry([])
    ven = make_ven(vtn.url, store, telemetry, capability_check_s=0)
    async with ven:
        await ven.wait_registered()
        telemetry._devices.append(
            DeviceInfo(
                id="pv",
                driver="modbus",
                kind=DeviceKind.PV_INVERTER,
                points={"power_w": Point(name="power_w", unit=Unit.W)},
            )
        )
        await vtn.wait_for(lambda: len(vtn.of_type(m.OadrRegisterReport)) == 2)
        polls = len(vtn.of_type(m.OadrPoll))
        await vtn.wait_for(lambda: len(vtn.of_type(m.OadrPoll)) >= polls + 3)
    first, second = vtn.of_type(m.OadrRegisterReport)
    assert [r.report_name for r in first.reports] == ["x-FLEX_OFFER"]
    usage = [r for r in second.reports if r.report_name == "METADATA_TELEMETRY_USAGE"]
    assert [d.r_id for d in usage[0].descriptions] == ["pv.power_w"]
    assert len(vtn.of_type(m.OadrRegisterReport)) == 2  # once per change, not once per poll


async def test_daemon_wiring(vtn: RecordingVtn, tmp_path):
    """The OSB daemon starts our VEN from its [openadr] section (create_ven) and reports it."""
    from flexcoop.config import parse_config
    from flexcoop.edge.runtime import OsbDaemon

    config = parse_config(
        {
            "openadr": {"vtn_url": vtn.url, "ven_name": "osb-daemon", "poll_interval_s": 0.2},
            "api": {"host": "127.0.0.1", "port": 0},
            "store": {"data_dir": str(tmp_path / "data")},
        }
    )
    async with OsbDaemon(config) as daemon:
        await daemon.ven.wait_registered()
        await vtn.wait_for(lambda: bool(vtn.of_type(m.OadrPoll)))
        health = daemon.health()["ven"]
    assert health["registered"] and health["ven_id"] in vtn.registrations.values()
    assert vtn.of_type(m.OadrCreatePartyRegistration)[0].ven_name == "osb-daemon"
