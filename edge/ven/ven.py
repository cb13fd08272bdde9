"""The OpenADR 2.0b VEN of the box: registration, polling, events, reports, opts.

Three tasks run while the VEN is started:
- the **poll loop** registers when needed, polls ``OadrPoll`` every poll interval (at once again
  when the VTN had something) and handles what comes back; when the VTN is unreachable it backs
  off exponentially with jitter and returns to the normal interval after the first success;
- the **sender** drains the outbox (``Outbox``) whenever something was queued, FIFO per service;
- the **reporter** runs the ``ReportScheduler`` (telemetry samples, update reports, flex offer).

Answers to what a poll brought (oadrCreatedEvent, oadrCreatedReport, …), reports and opts are
never sent directly: they go through the outbox so that a VTN outage loses nothing. Only polls
and the registration handshake talk to the VTN directly.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Sequence
from datetime import datetime, timedelta
from typing import Any, Self

import aiohttp
from pydantic import AwareDatetime, BaseModel, ConfigDict

from flexcoop.aio import cancel_and_wait
from flexcoop.config import OpenAdrSection
from flexcoop.edge.store import Store, StoreUnavailableError
from flexcoop.edge.ven.backoff import Backoff
from flexcoop.edge.ven.events import Change, EventBook, EventChange, cancelled_dr_event, to_dr_event
from flexcoop.edge.ven.interfaces import (
    EventDecision,
    EventHandler,
    FlexibilityProvider,
    TelemetrySource,
)
from flexcoop.edge.ven.outbox import Outbox
from flexcoop.edge.ven.reports import ReportScheduler, build_capabilities, capabilities_digest
from flexcoop.edge.ven.state import Capabilities, OptRecord, Registration, VenState
from flexcoop.edge.ven.transport import (
    VtnClient,
    VtnError,
    VtnInvalidIdError,
    VtnUnavailableError,
    make_ssl_context,
)
from flexcoop.logs import event, get_logger
from flexcoop.openadr import messages as m
from flexcoop.units import ensure_utc, utcnow

log = get_logger(__name__)

S = m.ServiceName
MAX_POLL_BURST = 100


class VenStatus(BaseModel):
    model_config = ConfigDict(frozen=True)

    running: bool
    registered: bool
    ven_id: str | None
    registration_id: str | None
    vtn_id: str | None
    last_poll: AwareDatetime | None  # last successful poll
    last_error: str | None
    outbox_backlog: int
    poll_interval_s: float
    retry_in_s: float | None  # set while backing off
    events: dict[str, int]
    report_requests: int
    delivered: int
    rejected: int


class RegistrationError(VtnError):
    pass


class Ven:
    def __init__(
        self,
        config: OpenAdrSection,
        store: Store,
        telemetry: TelemetrySource,
        handler: EventHandler,
        flex: FlexibilityProvider,
        *,
        session: aiohttp.ClientSession | None = None,
        request_timeout_s: float = 30.0,
        backoff: Backoff | None = None,
        max_server_error_attempts: int = 50,
        capability_check_s: float = 30.0,
    ) -> None:
        self.config = config
        self._store = store
        self._telemetry = telemetry
        self._handler = handler
        self._flex = flex
        self._given_session = session
        self._session: aiohttp.ClientSession | None = None
        self._timeout_s = request_timeout_s
        self._poll_backoff = backoff or Backoff()
        self._send_backoff = Backoff(self._poll_backoff.base_s, self._poll_backoff.cap_s)
        self._state = VenState(store)
        self.outbox = Outbox(store, max_server_error_attempts=max_server_error_attempts)
        self.reports = ReportScheduler(self._state, telemetry, flex, self._queue_report)
        self._events = EventBook({})
        self._opts: dict[str, OptRecord] = {}
        self._registration: Registration | None = None
        self._client: VtnClient | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = asyncio.Event()
        self._poll_now = asyncio.Event()
        self._reports_changed = asyncio.Event()
        self._registered = asyncio.Event()
        self._loaded = asyncio.Event()
        self._lock = asyncio.Lock()  # one poll/handling at a time vs. API-triggered messages
        self._capability_check_s = capability_check_s
        self._capabilities_checked = 0.0
        self._last_poll: datetime | None = None
        self._last_error: str | None = None
        self._retry_in: float | None = None

    # -- lifecycle ---------------------------------------------------------------------------
    async def start(self) -> None:
        if self._tasks:
            return
        ssl_context = make_ssl_context(self.config)
        self._session = self._given_session or aiohttp.ClientSession()
        self._client = VtnClient(
            self.config.vtn_url, self._session, ssl_context=ssl_context, timeout_s=self._timeout_s
        )
        self._stopping.clear()
        try:
            await self._load_state()
        except StoreUnavailableError as exc:
            # Edge-first: the daemon keeps starting; the poll loop loads the state once the
            # store is back (registering before that would throw our identity away).
            self._note_error(f"store: {exc}")
            event(log, "ven_state_unavailable", level=30, error=str(exc))
        # Drivers describe their devices shortly after start: compare capabilities a little later.
        self._capabilities_checked = asyncio.get_running_loop().time()
        self._tasks = [
            asyncio.create_task(self._poll_loop(), name="ven-poll"),
            asyncio.create_task(self._send_loop(), name="ven-send"),
            asyncio.create_task(self._report_loop(), name="ven-report"),
        ]
        event(
            log,
            "ven_started",
            vtn_url=self.config.vtn_url,
            ven_name=self.config.ven_name,
            registered=self._registration is not None,
            backlog=self.outbox.pending,
        )

    async def _load_state(self) -> None:
        self._registration = await self._state.registration()
        if self._registration is not None:
            self._registered.set()
        self._events = EventBook(await self._state.events())
        self._opts = await self._state.opts()
        await self.reports.load(build_capabilities(self._telemetry.devices(), utcnow()))
        await self.outbox.refresh()
        self._loaded.set()
        self._reports_changed.set()

    async def stop(self) -> None:
        self._stopping.set()
        tasks, self._tasks = self._tasks, []
        await cancel_and_wait(tasks)
        if self._session is not None and self._given_session is None:
            await self._session.close()
        self._session = None
        if tasks:
            event(log, "ven_stopped", backlog=self.outbox.pending)

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # -- status ------------------------------------------------------------------------------
    def status(self) -> VenStatus:
        reg = self._registration
        return VenStatus(
            running=bool(self._tasks),
            registered=reg is not None,
            ven_id=reg.ven_id if reg else None,
            registration_id=reg.registration_id if reg else None,
            vtn_id=reg.vtn_id if reg else None,
            last_poll=self._last_poll,
            last_error=self._last_error,
            outbox_backlog=self.outbox.pending,
            poll_interval_s=self.poll_interval_s,
            retry_in_s=self._retry_in,
            events=self._events.counts(utcnow()),
            report_requests=len(self.reports.requests),
            delivered=self.outbox.delivered,
            rejected=self.outbox.rejected,
        )

    @property
    def poll_interval_s(self) -> float:
        interval = self.config.poll_interval_s
        reg = self._registration
        if reg is not None and reg.poll_freq_s:
            interval = min(interval, reg.poll_freq_s)
        return interval

    async def wait_registered(self) -> Registration:
        """Until registered and the report capabilities are registered too."""
        await self._registered.wait()
        assert self._registration is not None
        return self._registration

    # -- public actions (the daemon / demand manager) ----------------------------------------
    async def opt_out_event(self, event_id: str, reason: str = m.OptReason.OVERRIDE_STATUS) -> str:
        """Withdraw from an event we opted into (member override, device failure)."""
        record = self._events.records.get(event_id)
        if record is None:
            raise KeyError(f"unknown event {event_id!r}")
        msg = m.OadrCreateOpt(
            opt_type=m.OptType.OPT_OUT,
            opt_reason=reason,
            ven_id="",
            created_date_time=utcnow(),
            event_id=event_id,
            modification_number=record.modification_number,
        )
        self._events.records[event_id] = record.model_copy(
            update={"opt": m.OptType.OPT_OUT, "reason": str(reason)}
        )
        await self._queue(S.EI_OPT, msg)
        await self._keep(self._state.set_events(self._events.records))
        await self._record_opt(msg, [])
        return msg.opt_id

    async def set_availability(
        self,
        windows: Sequence[tuple[datetime, timedelta]],
        opt: m.OptType,
        reason: str = m.OptReason.X_SCHEDULE,
        *,
        market_context: str | None = None,
    ) -> str:
        """Send an availability schedule (optIn = available, optOut = not available)."""
        if not windows:
            raise ValueError("an availability schedule needs at least one window")
        spans = [
            m.Window(start=ensure_utc(start), duration=duration) for start, duration in windows
        ]
        msg = m.OadrCreateOpt(
            opt_type=opt,
            opt_reason=reason,
            market_context=market_context,
            ven_id="",
            vavailability=spans,
            created_date_time=utcnow(),
        )
        await self._queue(S.EI_OPT, msg)
        await self._record_opt(msg, spans)
        return msg.opt_id

    async def cancel_opt(self, opt_id: str) -> None:
        record = self._opts.get(opt_id)
        if record is None:
            raise KeyError(f"unknown opt {opt_id!r}")
        self._opts[opt_id] = record.model_copy(update={"cancelled": True})
        await self._queue(S.EI_OPT, m.OadrCancelOpt(opt_id=opt_id, ven_id=""))
        await self._keep(self._state.set_opts(self._opts))

    async def send_flex_offer(self) -> int:
        """Push the 24 h flex offer now for every standing request; how many were queued."""
        return await self.reports.send_flex_now(utcnow())

    # -- outbox ------------------------------------------------------------------------------
    async def _queue(self, service: str, message: m.OadrMessage) -> None:
        await self.outbox.put(service, message)

    async def _queue_report(self, message: m.OadrUpdateReport) -> None:
        await self._queue(S.EI_REPORT, message)

    async def _record_opt(self, msg: m.OadrCreateOpt, spans: list[m.Window]) -> None:
        self._opts[msg.opt_id] = OptRecord(
            opt_id=msg.opt_id,
            opt_type=msg.opt_type,
            reason=msg.opt_reason,
            created=msg.created_date_time,
            event_id=msg.event_id,
            modification_number=msg.modification_number,
            windows=[(w.start, w.duration.total_seconds()) for w in spans],
        )
        await self._keep(self._state.set_opts(self._opts))

    async def _keep(self, write: Awaitable[None]) -> None:
        """Save bookkeeping state; the message itself is already queued, so a store outage
        costs only this copy (it is rewritten with the next change) and is not raised."""
        try:
            await write
        except StoreUnavailableError as exc:
            self._note_error(f"store: {exc}")
            event(log, "ven_state_not_saved", level=30, error=str(exc))

    async def _send_loop(self) -> None:
        while not self._stopping.is_set():
            await self._wait(self.outbox.wakeup, self.poll_interval_s)
            self.outbox.wakeup.clear()
            reg = self._registration
            if reg is None or self._client is None:
                continue
            try:
                await self.outbox.deliver(self._client, reg.ven_id, self._on_answer)
                self._send_backoff.reset()
            except VtnInvalidIdError as exc:
                await self._lost_registration(str(exc))
            except VtnUnavailableError as exc:
                delay = self._send_backoff.next_delay()
                self._note_error(f"outbox: {exc}")
                await self._sleep(delay)
                self.outbox.wakeup.set()
            except StoreUnavailableError as exc:
                self._note_error(f"store: {exc}")
                await self._sleep(self._send_backoff.next_delay())
                with contextlib.suppress(StoreUnavailableError):
                    await self.outbox.refresh()
            except Exception as exc:
                self._unexpected("send", exc)
                await self._sleep(self._send_backoff.next_delay())

    async def _on_answer(self, answer: m.OadrMessage) -> None:
        if isinstance(answer, m.OadrUpdatedReport) and answer.cancel_report is not None:
            async with self._lock:
                await self._dispatch(answer.cancel_report)

    # -- reports -----------------------------------------------------------------------------
    async def _report_loop(self) -> None:
        await self._wait(self._loaded, None)
        while not self._stopping.is_set():
            now = utcnow()
            try:
                await self.reports.tick(now)
            except StoreUnavailableError as exc:
                self._note_error(f"store: {exc}")
            except Exception as exc:
                self._unexpected("report", exc)
            wake = self.reports.next_wakeup(now)
            delay = 60.0 if wake is None else max(0.05, (wake - utcnow()).total_seconds())
            self._reports_changed.clear()
            await self._wait(self._reports_changed, min(delay, 60.0))

    # -- polling -----------------------------------------------------------------------------
    async def _poll_loop(self) -> None:
        burst = 0
        while not self._stopping.is_set():
            try:
                async with self._lock:
                    if not self._loaded.is_set():
                        await self._load_state()
                    if self._registration is None:
                        await self._register()
                    more = await self._poll_once()
                    since = asyncio.get_running_loop().time() - self._capabilities_checked
                    if since >= self._capability_check_s:
                        await self._refresh_capabilities()
                self._poll_backoff.reset()
                self._retry_in = None
                self._last_error = None
                # Poll again at once while the VTN has messages queued, but never spin on a VTN
                # that always has one.
                burst = burst + 1 if more else 0
                if more and burst < MAX_POLL_BURST:
                    continue
                burst = 0
                delay = self.poll_interval_s
            except VtnInvalidIdError as exc:
                await self._lost_registration(str(exc))
                delay = self._backing_off(str(exc))
            except (VtnError, StoreUnavailableError) as exc:
                delay = self._backing_off(str(exc))
            except Exception as exc:  # a bug must not end polling for good
                self._unexpected("poll", exc)
                delay = self._backing_off(f"{type(exc).__name__}: {exc}")
            self._poll_now.clear()
            await self._wait(self._poll_now, delay)

    def _backing_off(self, error: str) -> float:
        delay = self._poll_backoff.next_delay()
        self._retry_in = delay
        self._note_error(error)
        event(
            log,
            "ven_backoff",
            level=30,
            error=error,
            retry_in_s=round(delay, 2),
            failures=self._poll_backoff.failures,
        )
        return delay

    def _note_error(self, error: str) -> None:
        self._last_error = error

    def _unexpected(self, loop: str, exc: Exception) -> None:
        self._note_error(f"{loop}: {type(exc).__name__}: {exc}")
        log.error("ven_loop_error", exc_info=exc, extra={"fields": {"loop": loop}})

    async def _poll_once(self) -> bool:
        """One oadrPoll; True when the VTN had a message (so there may be more)."""
        client, reg = self._require()
        answer = await client.request(S.OADR_POLL, m.OadrPoll(ven_id=reg.ven_id))
        self._last_poll = utcnow()
        if answer is None or isinstance(answer, m.OadrResponse):
            return False
        await self._dispatch(answer)
        return True

    async def _dispatch(self, msg: m.OadrMessage) -> None:
        now = utcnow()
        match msg:
            case m.OadrDistributeEvent():
                await self._on_distribute(msg)
            case m.OadrCreateReport():
                pending = await self.reports.accept(msg.report_requests, now)
                self._reports_changed.set()
                await self._queue(
                    S.EI_REPORT,
                    m.OadrCreatedReport(
                        response=m.EiResponse(request_id=msg.request_id),
                        pending_reports=pending,
                        ven_id="",
                    ),
                )
            case m.OadrCancelReport():
                pending = await self.reports.cancel(msg.report_request_ids)
                await self._queue(
                    S.EI_REPORT,
                    m.OadrCanceledReport(
                        response=m.EiResponse(request_id=msg.request_id),
                        pending_reports=pending,
                        ven_id="",
                    ),
                )
            case m.OadrRegisterReport():
                # The VTN offers its own reports; we request none of them.
                await self._queue(
                    S.EI_REPORT,
                    m.OadrRegisteredReport(
                        response=m.EiResponse(request_id=msg.request_id), ven_id=""
                    ),
                )
            case m.OadrRequestReregistration():
                client, _ = self._require()
                await client.request(S.EI_REGISTER_PARTY, m.OadrResponse(ven_id=msg.ven_id))
                event(log, "ven_reregistration_requested")
                await self._register()
            case m.OadrCancelPartyRegistration():
                client, reg = self._require()
                await client.request(
                    S.EI_REGISTER_PARTY,
                    m.OadrCanceledPartyRegistration(
                        response=m.EiResponse(request_id=msg.request_id),
                        registration_id=reg.registration_id,
                        ven_id=reg.ven_id,
                    ),
                )
                event(log, "ven_registration_cancelled_by_vtn")
                await self._forget_registration()
            case _:
                event(log, "ven_unexpected_message", level=30, message_type=msg.message_type)

    # -- registration ------------------------------------------------------------------------
    def _require(self) -> tuple[VtnClient, Registration]:
        if self._client is None or self._registration is None:
            raise RegistrationError("not registered")
        return self._client, self._registration

    async def _register(self) -> None:
        client = self._client
        assert client is not None
        previous = self._registration or await self._state.registration()
        query = await client.request(S.EI_REGISTER_PARTY, m.OadrQueryRegistration())
        if not isinstance(query, m.OadrCreatedPartyRegistration):
            raise RegistrationError(f"unexpected answer to oadrQueryRegistration: {_name(query)}")
        request = m.OadrCreatePartyRegistration(
            registration_id=previous.registration_id if previous else None,
            ven_id=previous.ven_id if previous else None,
            ven_name=self.config.ven_name,
            http_pull_model=True,
        )
        try:
            created = await client.request(S.EI_REGISTER_PARTY, request)
        except VtnInvalidIdError:
            if previous is None:
                raise
            # The VTN forgot us: start over as a new VEN.
            await self._forget_registration()
            created = await client.request(
                S.EI_REGISTER_PARTY,
                m.OadrCreatePartyRegistration(ven_name=self.config.ven_name, http_pull_model=True),
            )
        if (
            not isinstance(created, m.OadrCreatedPartyRegistration)
            or not created.ven_id
            or not created.registration_id
        ):
            raise RegistrationError(f"registration not granted: {_name(created)}")
        reg = Registration(
            ven_id=str(created.ven_id),
            registration_id=str(created.registration_id),
            vtn_id=str(created.vtn_id),
            poll_freq_s=created.poll_freq.total_seconds() if created.poll_freq else None,
            registered_at=utcnow(),
        )
        await self._state.set_registration(reg)
        self._registration = reg
        event(
            log,
            "ven_registered",
            ven_id=reg.ven_id,
            vtn_id=reg.vtn_id,
            reregistration=previous is not None,
        )
        self.outbox.wakeup.set()
        try:
            await self._register_reports()
            await self._request_events()
            self._registered.set()
        except BaseException:
            # Registered but the handshake broke off (VTN gone again): the capability check
            # after the next successful poll registers the reports; polls bring the events.
            self._capabilities_checked = float("-inf")
            await self._state.set_capabilities(None)
            raise

    async def _register_reports(self) -> None:
        """oadrRegisterReport. It replaces any earlier one, so the standing requests end and
        the VTN requests afresh (in its answer or later by oadrCreateReport)."""
        client, reg = self._require()
        capabilities = build_capabilities(self._telemetry.devices(), utcnow())
        self.reports.set_capabilities(capabilities)
        await self.reports.clear()
        answer = await client.request(
            S.EI_REPORT, m.OadrRegisterReport(reports=capabilities, ven_id=reg.ven_id)
        )
        await self._state.set_capabilities(
            Capabilities(digest=capabilities_digest(capabilities), ven_id=reg.ven_id)
        )
        event(log, "ven_reports_registered", reports=len(capabilities))
        if isinstance(answer, m.OadrRegisteredReport) and answer.report_requests:
            # Some VTNs (openleadr) put their report requests into the oadrRegisteredReport.
            pending = await self.reports.accept(answer.report_requests, utcnow())
            self._reports_changed.set()
            await self._queue(
                S.EI_REPORT,
                m.OadrCreatedReport(
                    response=m.EiResponse(request_id=answer.response.request_id),
                    pending_reports=pending,
                    ven_id="",
                ),
            )

    async def ensure_capabilities(self) -> bool:
        """Re-register the report capabilities if the device set changed; True if it did."""
        async with self._lock:
            return await self._refresh_capabilities()

    async def _refresh_capabilities(self) -> bool:
        self._capabilities_checked = asyncio.get_running_loop().time()
        if self._registration is None:
            return False
        caps = build_capabilities(self._telemetry.devices(), utcnow())
        stored = await self._state.capabilities()
        if stored is not None and stored.digest == capabilities_digest(caps):
            return False
        event(log, "ven_capabilities_changed", reports=len(caps))
        await self._register_reports()
        self._registered.set()
        return True

    async def _request_events(self) -> None:
        client, reg = self._require()
        answer = await client.request(S.EI_EVENT, m.OadrRequestEvent(ven_id=reg.ven_id))
        if isinstance(answer, m.OadrDistributeEvent):
            await self._on_distribute(answer)

    async def _forget_registration(self) -> None:
        self._registration = None
        self._registered.clear()
        await self._state.set_registration(None)
        await self._state.set_capabilities(None)
        await self.reports.clear()

    async def _lost_registration(self, error: str) -> None:
        """The VTN does not know our venID (452): register again as a new VEN."""
        event(log, "ven_registration_lost", level=30, error=error)
        self._note_error(error)
        async with self._lock:
            if self._registration is not None:
                await self._forget_registration()
        self._poll_now.set()

    # -- events ------------------------------------------------------------------------------
    async def _on_distribute(self, msg: m.OadrDistributeEvent) -> None:
        now = utcnow()
        responses: list[m.EventResponse] = []
        for change in self._events.reconcile(msg.events, now):
            if change.change is Change.UNCHANGED and change.event is not None:
                self._events.update_status(change.event)
                continue
            if change.change is Change.STALE:
                event(
                    log,
                    "ven_event_stale",
                    level=30,
                    event_id=change.event_id,
                    modification_number=change.event.modification_number if change.event else None,
                )
                continue
            decision = await self._decide(change, now)
            self._events.apply(change, decision)
            if (
                change.event is not None
                and change.event.response_required is m.ResponseRequired.ALWAYS
            ):
                responses.append(
                    m.EventResponse(
                        request_id=msg.request_id,
                        event_id=change.event_id,
                        modification_number=change.event.modification_number,
                        opt_type=decision.opt,
                        response_description=decision.reason or "OK",
                    )
                )
        self._events.prune(now)
        await self._state.set_events(self._events.records)
        if responses:
            await self._queue(
                S.EI_EVENT,
                m.OadrCreatedEvent(
                    response=m.EiResponse(request_id=msg.request_id),
                    event_responses=responses,
                    ven_id="",
                ),
            )

    async def _decide(self, change: EventChange, now: datetime) -> EventDecision:
        dr = (
            to_dr_event(change.event, now)
            if change.event is not None
            else cancelled_dr_event(change.record)
        )
        try:
            decision = await self._handler.on_event(dr)
        except Exception as exc:  # the handler is a plug-in: its failure is an opt-out, not a crash
            event(
                log,
                "ven_event_handler_failed",
                level=40,
                event_id=dr.event_id,
                error=f"{type(exc).__name__}: {exc}",
            )
            decision = EventDecision(
                m.OptType.OPT_OUT, f"event handler failed: {type(exc).__name__}"
            )
        event(
            log,
            "ven_event",
            event_id=dr.event_id,
            change=change.change.value,
            modification_number=dr.modification_number,
            status=dr.status.value,
            opt=decision.opt.value,
        )
        return decision

    # -- helpers -----------------------------------------------------------------------------
    async def _wait(self, flag: asyncio.Event, seconds: float | None) -> None:
        """Sleep up to ``seconds`` (None: no limit), waking early when ``flag`` is set or the
        VEN stops."""
        waiters = [asyncio.ensure_future(flag.wait()), asyncio.ensure_future(self._stopping.wait())]
        try:
            await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for w in waiters:
                w.cancel()

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)


def _name(msg: Any) -> str:
    if msg is None:
        return "empty answer"
    return getattr(msg, "message_type", type(msg).__name__)
