"""The outbox: cloud down → everything generated meanwhile arrives later, in order, even when
the VEN was stopped and killed (SIGKILL) in between; rejected messages do not block a channel."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import textwrap
from collections import deque
from datetime import timedelta
from pathlib import Path

from flexcoop.edge.store import Store
from flexcoop.edge.ven.outbox import REJECTED_EVENT_KIND, SERVICES, channel_for, unwrap
from flexcoop.openadr import messages as m
from flexcoop.units import utcnow

from .conftest import RecordingVtn, StaticTelemetry, make_ven
from .test_events import distribute, make_event
from .test_reports import request


def key(msg: m.OadrMessage) -> str:
    """Identity of a message regardless of the venID filled in when sending."""
    return json.dumps(msg.model_dump(mode="json", exclude={"ven_id"}), sort_keys=True)


async def queued(store: Store) -> dict[str, list[str]]:
    out = {}
    for service in SERVICES:
        items = await store.outbox_peek(channel_for(service), 10_000)
        out[str(service)] = [key(unwrap(i.payload)) for i in items]
    return out


# The daemon-side VEN in its own process: queues three availability opts, says which (each
# line printed only after the call returned, i.e. after the outbox entry is durable), then
# waits to be killed.
CHILD = textwrap.dedent(
    """
    import asyncio, sys
    from datetime import timedelta
    from pathlib import Path
    from flexcoop.config import OpenAdrSection
    from flexcoop.edge.store import Store
    from flexcoop.edge.ven import OptInHandler, PointLimitFlexibility, Ven
    from flexcoop.openadr import messages as m
    from flexcoop.units import utcnow

    class NoDevices:
        def devices(self): return []
        def latest(self, device_id=None): return []
        def status(self, device_id): return None

    async def main():
        store = Store(Path(sys.argv[1]))
        await store.start()
        cfg = OpenAdrSection(vtn_url=sys.argv[2], ven_name="osb-test", poll_interval_s=0.2)
        ven = Ven(cfg, store, NoDevices(), OptInHandler(), PointLimitFlexibility(NoDevices()),
                  request_timeout_s=2)
        await ven.start()
        for i in range(3):
            opt_id = await ven.set_availability(
                [(utcnow() + timedelta(hours=i + 1), timedelta(minutes=30))], m.OptType.OPT_OUT)
            print(opt_id, flush=True)
        await asyncio.sleep(3600)

    asyncio.run(main())
    """
)


async def test_outage_stop_kill_restart_delivers_everything_in_order(
    vtn: RecordingVtn, tmp_path: Path, telemetry: StaticTelemetry
):
    data = tmp_path / "data"
    vtn.register_report_requests = [request("TELEMETRY_USAGE", ["meter.power_w"], 1, 1)]
    store = Store(data)
    await store.start()
    ven = make_ven(vtn.url, store, telemetry)
    await ven.start()
    await ven.wait_registered()
    await vtn.wait_for(lambda: len(vtn.of_type(m.OadrUpdateReport)) >= 1)
    seen_before = {str(s): len([x for x in vtn.received if x[0] == s]) for s in SERVICES}

    # The cloud dies right after handing out an event: the answer to it cannot be delivered.
    vtn.http_status["oadrCreatedEvent"] = deque([503] * 10_000)
    vtn.queue.append(distribute(make_event("ev-1")))
    await vtn.wait_for(lambda: any(s == "EiEvent!rejected" for s, _ in vtn.received))
    await vtn.stop()
    # Offline: reports keep being produced, the member changes their availability twice.
    await ven.set_availability(
        [(utcnow() + timedelta(hours=2), timedelta(hours=1))], m.OptType.OPT_OUT
    )
    await ven.opt_out_event("ev-1")
    reports_before = sum(1 for _ in vtn.of_type(m.OadrUpdateReport))
    for _ in range(200):
        if len((await queued(store))["EiReport"]) >= 3:
            break
        await asyncio.sleep(0.1)
    assert ven.status().outbox_backlog >= 1 and ven.status().retry_in_s is not None
    await ven.stop()
    await store.stop()

    # The daemon restarts, queues more, and is killed -9.
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        CHILD,
        str(data),
        vtn.url,
        stdout=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert child.stdout is not None
    child_opts = [
        (await asyncio.wait_for(child.stdout.readline(), 60)).decode().strip() for _ in range(3)
    ]
    child.send_signal(signal.SIGKILL)
    await child.wait()
    assert all(child_opts)

    # Everything queued is in the store, in creation order.
    async with Store(data) as store:
        pending = await queued(store)
        assert len(pending["EiEvent"]) == 1 and len(pending["EiOpt"]) == 5
        assert len(pending["EiReport"]) >= 3
        assert [json.loads(k)["opt_id"] for k in pending["EiOpt"]][2:] == child_opts

        # Cloud and daemon are back: it all arrives, per service in the original order.
        vtn.http_status.clear()
        await vtn.start()
        async with make_ven(vtn.url, store, telemetry) as ven:
            await vtn.wait_for(lambda: len(vtn.of_type(m.OadrCreateOpt)) == 5, within_s=30)
            await vtn.wait_for(
                lambda: (
                    len(vtn.of_type(m.OadrUpdateReport))
                    >= reports_before + len(pending["EiReport"])
                ),
                within_s=30,
            )
            await vtn.wait_for(lambda: len(vtn.of_type(m.OadrCreatedEvent)) == 1)
            assert ven.status().registered

    for service in SERVICES:
        arrived = [key(msg) for s, msg in vtn.received if s == service][seen_before[str(service)] :]
        expected = pending[str(service)]
        assert arrived[: len(expected)] == expected, service
    assert len(vtn.registrations) == 1  # the same registration throughout
    assert {o.ven_id for o in vtn.of_type(m.OadrCreateOpt)} == set(vtn.registrations.values())
    assert vtn.invalid == []


async def test_rejected_messages_leave_the_queue_into_the_event_log(
    vtn: RecordingVtn, store: Store, telemetry: StaticTelemetry
):
    vtn.http_status["oadrCreateOpt"] = deque([400, 500, 500])
    async with make_ven(vtn.url, store, telemetry, max_server_error_attempts=2) as ven:
        await ven.wait_registered()
        start = utcnow() + timedelta(hours=1)
        first = await ven.set_availability([(start, timedelta(hours=1))], m.OptType.OPT_OUT)
        second = await ven.set_availability([(start, timedelta(hours=2))], m.OptType.OPT_OUT)
        third = await ven.set_availability([(start, timedelta(hours=3))], m.OptType.OPT_IN)
        await vtn.wait_for(lambda: len(vtn.of_type(m.OadrCreateOpt)) == 1)
        await ven.cancel_opt(third)
        await vtn.wait_for(lambda: len(vtn.of_type(m.OadrCancelOpt)) == 1)
        await vtn.wait_for(lambda: ven.status().outbox_backlog == 0)  # acknowledged
        status = ven.status()
    [delivered] = vtn.of_type(m.OadrCreateOpt)
    assert delivered.opt_id == third and delivered.opt_type == "optIn"
    assert vtn.of_type(m.OadrCancelOpt)[0].opt_id == third
    rejected = await store.events(kind=REJECTED_EVENT_KIND)
    assert [json.loads(json.dumps(e.data))["error"].split(":")[0] for e in rejected] == [
        "EiOpt",
        "EiOpt",
    ]
    assert first in rejected[0].data["payload"] and second in rejected[1].data["payload"]
    assert "HTTP 400" in rejected[0].data["error"] and "2 attempts" in rejected[1].data["error"]
    assert status.rejected == 2 and status.outbox_backlog == 0
    assert await store.outbox_size() == 0


async def test_store_outage_holds_messages_in_memory_in_order(
    vtn: RecordingVtn, tmp_path: Path, telemetry: StaticTelemetry
):
    import shutil

    data = tmp_path / "data"
    async with Store(data, retry_interval_s=0.05) as store:
        async with make_ven(vtn.url, store, telemetry) as ven:
            await ven.wait_registered()
            vtn.http_status["oadrCreateOpt"] = deque([503] * 10_000)  # keep them queued
            start = utcnow() + timedelta(hours=1)
            before = await ven.set_availability([(start, timedelta(hours=1))], m.OptType.OPT_OUT)
            shutil.rmtree(data)
            data.write_text("")  # the data partition is gone
            during = [
                await ven.set_availability([(start, timedelta(hours=h))], m.OptType.OPT_OUT)
                for h in (2, 3)
            ]
            assert ven.outbox.memory_backlog == 2 and ven.status().outbox_backlog == 3
            data.unlink()  # and back
            vtn.http_status.clear()
            await vtn.wait_for(lambda: len(vtn.of_type(m.OadrCreateOpt)) == 3)
            await vtn.wait_for(lambda: ven.status().outbox_backlog == 0)
    assert [o.opt_id for o in vtn.of_type(m.OadrCreateOpt)] == [before, *during]
    assert ven.outbox.dropped == 0


async def test_start_while_store_unusable_then_recover(
    vtn: RecordingVtn, tmp_path: Path, telemetry: StaticTelemetry
):
    data = tmp_path / "data"
    async with Store(data) as store:  # a first life: registered, state saved
        async with make_ven(vtn.url, store, telemetry) as ven:
            first = await ven.wait_registered()
    (data / "store.sqlite").rename(tmp_path / "saved.sqlite")
    for extra in data.iterdir():
        extra.unlink()
    data.rmdir()
    data.write_text("")  # the data partition is not mounted at boot
    async with Store(data, retry_interval_s=0.05) as store:
        async with make_ven(vtn.url, store, telemetry) as ven:  # starts anyway
            await vtn.wait_for(lambda: ven.status().retry_in_s is not None, within_s=10)
            assert not ven.status().registered and "store" in (ven.status().last_error or "")
            restored = tmp_path / "restored"
            restored.mkdir()
            (tmp_path / "saved.sqlite").rename(restored / "store.sqlite")
            data.unlink()
            restored.rename(data)  # mounted
            await vtn.wait_for(lambda: ven.status().registered, within_s=20)
            polls = len(vtn.of_type(m.OadrPoll))
            await vtn.wait_for(lambda: len(vtn.of_type(m.OadrPoll)) > polls)
            status = ven.status()
    assert status.ven_id == first.ven_id  # same identity, no second registration
    assert len(vtn.of_type(m.OadrCreatePartyRegistration)) == 1
