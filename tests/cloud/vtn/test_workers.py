"""Several stateless workers over one database: a change made through one worker reaches VENs
polling another (within the generation-check staleness bound)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import aiohttp

from flexcoop.cloud.db import make_engine
from flexcoop.openadr import messages as m

from .conftest import TEST_SETTINGS, Ven, start_vtn
from .test_events import spec


async def test_event_created_on_one_worker_reaches_polls_on_another(db_url: str) -> None:
    engine_a, engine_b = make_engine(db_url), make_engine(db_url)
    runner_a, vtn_a, *_, url_a = await start_vtn(engine_a, TEST_SETTINGS)
    runner_b, *_, url_b = await start_vtn(engine_b, TEST_SETTINGS)
    try:
        async with aiohttp.ClientSession() as session:
            on_a = Ven(url_a, session, "home")
            await on_a.register()
            on_b = Ven(url_b, session, "home", ven_id=on_a.ven_id)
            assert isinstance(await on_b.poll(), m.OadrDistributeEvent)  # registration's list
            assert isinstance(await on_b.poll(), m.OadrResponse)  # now answered from memory

            ev = await vtn_a.create_event(spec(targets={"ven_ids": [on_a.ven_id]}))
            for _ in range(200):
                got = await on_b.poll()
                if isinstance(got, m.OadrDistributeEvent):
                    break
                await asyncio.sleep(0.02)
            else:
                raise AssertionError("worker B never saw the event")
            assert [e.event_id for e in got.events] == [ev.event_id]

            # B now holds the event list of that version; a second event made on A must not
            # be hidden by it.
            later = spec(
                targets={"ven_ids": [on_a.ven_id]}, start=ev.spec.start + timedelta(hours=2)
            )
            ev2 = await vtn_a.create_event(later)
            for _ in range(200):
                got = await on_b.poll()
                if isinstance(got, m.OadrDistributeEvent):
                    break
                await asyncio.sleep(0.02)
            else:
                raise AssertionError("worker B never saw the second event")
            assert [e.event_id for e in got.events] == [ev.event_id, ev2.event_id]

            # Cancelling a registration on B is seen by A (its cached registration is dropped).
            await on_b.send(
                "EiRegisterParty",
                m.OadrCancelPartyRegistration(
                    registration_id=on_a.registration_id, ven_id=on_a.ven_id
                ),
            )
            for _ in range(200):
                reply = await on_a.poll()
                if reply.response.response_code == m.ResponseCode.INVALID_ID:
                    break
                await asyncio.sleep(0.02)
            else:
                raise AssertionError("worker A kept serving a cancelled registration")
    finally:
        await runner_a.cleanup()
        await runner_b.cleanup()
        await engine_a.dispose()
        await engine_b.dispose()
