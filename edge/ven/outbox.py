"""Durable, ordered delivery of everything the VEN sends (except polls and registration).

Each message is written to the store's outbox (one FIFO channel per OpenADR service) before the
VEN goes on, and deleted only when the VTN acknowledged it. Entries are the JSON of the typed
message, not XML: the venID is filled in when sending, so what was queued before a
re-registration still goes out under the new venID.

If the store itself cannot write (disk full), messages wait in a bounded in-memory queue in
front of it (in order) and are moved into the store as soon as it accepts writes again.
"""

from __future__ import annotations

import asyncio
import json
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Literal

from flexcoop.edge.store import OutboxItem, Store, StoreUnavailableError
from flexcoop.edge.ven.transport import (
    VtnClient,
    VtnInvalidIdError,
    VtnRejectedError,
    VtnServerError,
)
from flexcoop.logs import event, get_logger
from flexcoop.openadr import messages as m
from flexcoop.openadr.codec import CodecError, encode

log = get_logger(__name__)

SERVICES = (m.ServiceName.EI_EVENT, m.ServiceName.EI_REPORT, m.ServiceName.EI_OPT)
REJECTED_EVENT_KIND = "ven_outbox_rejected"
_ENVELOPE_VERSION = 1

AnswerHandler = Callable[[m.OadrMessage], Awaitable[None]]


def channel_for(service: str) -> str:
    return f"ven.{service}"


def wrap(message: m.OadrMessage) -> bytes:
    return json.dumps(
        {
            "v": _ENVELOPE_VERSION,
            "type": message.message_type,
            "message": message.model_dump(mode="json"),
        },
        separators=(",", ":"),
    ).encode()


def unwrap(payload: bytes) -> m.OadrMessage:
    """The message of an outbox entry; ValueError if the entry is not ours or is damaged."""
    try:
        doc = json.loads(payload)
        cls = m.MESSAGE_TYPES[doc["type"]]
        return cls.model_validate(doc["message"])
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"not a VEN outbox entry: {exc}") from exc


def with_ven_id(message: m.OadrMessage, ven_id: str) -> m.OadrMessage:
    if "ven_id" in type(message).model_fields:
        return message.model_copy(update={"ven_id": ven_id})
    return message


class Outbox:
    """Queue (``put``) and deliver (``deliver``) VEN → VTN messages, FIFO per service."""

    def __init__(
        self,
        store: Store,
        *,
        max_server_error_attempts: int = 50,
        max_memory_backlog: int = 10_000,
        batch: int = 25,
    ) -> None:
        self._store = store
        self._max_server_errors = max_server_error_attempts
        self._memory: deque[tuple[str, bytes]] = deque()
        self._max_memory = max_memory_backlog
        self._batch = batch
        self.dropped = 0
        self.pending = 0  # queued and not yet acknowledged (kept current; see refresh())
        self.delivered = 0
        self.rejected = 0
        self.wakeup = asyncio.Event()
        self._spilling = asyncio.Lock()  # put() and deliver() both spill; one at a time

    @property
    def memory_backlog(self) -> int:
        return len(self._memory)

    async def put(self, service: str, message: m.OadrMessage) -> None:
        """Queue durably; if the store is unwritable, hold in memory (bounded) and go on."""
        self._memory.append((channel_for(service), wrap(message)))
        self.pending += 1
        await self._spill()
        self.wakeup.set()

    async def _spill(self) -> None:
        """Move the in-memory queue into the store, oldest first, until the store refuses."""
        async with self._spilling:
            await self._spill_locked()

    async def _spill_locked(self) -> None:
        while self._memory:
            channel, payload = self._memory[0]
            try:
                await self._store.outbox_put(channel, payload)
            except StoreUnavailableError as exc:
                while len(self._memory) > self._max_memory:
                    self._memory.popleft()
                    self.dropped += 1
                    self.pending -= 1
                event(
                    log,
                    "ven_outbox_store_unavailable",
                    level=30,
                    error=str(exc),
                    held=len(self._memory),
                    dropped=self.dropped,
                )
                return
            self._memory.popleft()

    async def refresh(self) -> int:
        """Recount ``pending`` from the store (at start, and after store trouble)."""
        total = len(self._memory)
        for service in SERVICES:
            total += await self._store.outbox_size(channel_for(service))
        self.pending = total
        return total

    async def deliver(
        self, client: VtnClient, ven_id: str, on_answer: AnswerHandler | None = None
    ) -> int:
        """Send everything queued, channel by channel in FIFO order; the number delivered.

        ``on_answer`` sees each acknowledged message's answer (an oadrUpdatedReport may carry
        an oadrCancelReport).

        Stops at the first message that cannot be delivered now (the exception propagates:
        ``VtnUnavailableError`` → back off; ``VtnInvalidIdError`` → re-register), so later
        messages of a channel never overtake earlier ones.

        Acknowledged messages leave the store in groups of up to ``batch`` (one durable commit
        per group instead of one per message, the commit being what limits the catch-up rate):
        a crash in between re-sends at most that group, which at-least-once delivery allows
        anyway (a lost HTTP answer does the same) and the requestIDs let the VTN recognise.
        """
        await self._spill()
        count = 0
        for service in SERVICES:
            channel = channel_for(service)
            while True:
                items = await self._store.outbox_peek(channel, self._batch)
                if not items:
                    break
                done: list[int] = []
                try:
                    for item in items:
                        answer = await self._deliver_one(client, service, ven_id, item)
                        if answer is False:
                            continue  # rejected: already moved to the event log
                        done.append(item.id)
                        if answer is not None and on_answer is not None:
                            await on_answer(answer)
                finally:
                    if done:
                        await self._store.outbox_ack(done)
                        self.pending -= len(done)
                        self.delivered += len(done)
                        count += len(done)
        return count

    async def _deliver_one(
        self, client: VtnClient, service: str, ven_id: str, item: OutboxItem
    ) -> m.OadrMessage | Literal[False] | None:
        """The VTN's answer (None: empty) once accepted; False if rejected for good."""
        item_id, payload, attempts = item.id, item.payload, item.attempts
        try:
            body = encode(with_ven_id(unwrap(payload), ven_id))
        except (ValueError, CodecError) as exc:
            await self._reject(service, item_id, payload, f"cannot encode: {exc}")
            return False
        try:
            answer = await client.post(service, body)
        except VtnInvalidIdError:
            raise
        except VtnRejectedError as exc:
            await self._reject(service, item_id, body, str(exc))
            return False
        except VtnServerError as exc:
            if attempts + 1 >= self._max_server_errors:
                await self._reject(service, item_id, body, f"{exc} ({attempts + 1} attempts)")
                return False
            await self._store.outbox_fail(item_id, str(exc))
            raise
        return answer

    async def _reject(self, service: str, item_id: int, body: bytes, error: str) -> None:
        """A message the VTN will never accept: keep it in the event log, free the channel."""
        await self._store.add_event(
            REJECTED_EVENT_KIND,
            None,
            {"service": service, "error": error, "payload": body.decode("utf-8", "replace")},
        )
        await self._store.outbox_ack([item_id])
        self.pending -= 1
        self.rejected += 1
        event(log, "ven_outbox_rejected", level=40, service=service, error=error)
