"""In-process publish/subscribe bus with typed topics.

Topics are message classes: ``bus.subscribe(Reading)`` yields every ``Reading`` published after
the call. Each subscriber has its own bounded queue so a slow consumer (say, a web client) can
never grow memory without bound or stall a driver: when its queue is full the oldest message is
dropped and counted in ``Subscription.dropped``.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class Subscription(Generic[T]):
    def __init__(self, bus: Bus, topic: type[T], maxsize: int) -> None:
        self._bus = bus
        self.topic = topic
        self._queue: asyncio.Queue[T] = asyncio.Queue(maxsize)
        self.dropped = 0

    def _offer(self, message: T) -> None:
        if self._queue.full():
            self._queue.get_nowait()
            self.dropped += 1
        self._queue.put_nowait(message)

    async def get(self) -> T:
        return await self._queue.get()

    def get_nowait_batch(self, limit: int) -> list[T]:
        """Everything queued right now (up to ``limit``), without waiting."""
        out: list[T] = []
        while len(out) < limit and not self._queue.empty():
            out.append(self._queue.get_nowait())
        return out

    def close(self) -> None:
        self._bus._unsubscribe(self)

    def __aiter__(self) -> AsyncIterator[T]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[T]:
        while True:
            yield await self._queue.get()

    def __enter__(self) -> Subscription[T]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Bus:
    def __init__(self, default_maxsize: int = 10_000) -> None:
        self._subs: defaultdict[type[Any], list[Subscription[Any]]] = defaultdict(list)
        self._default_maxsize = default_maxsize

    def subscribe(self, topic: type[T], maxsize: int | None = None) -> Subscription[T]:
        sub: Subscription[T] = Subscription(self, topic, maxsize or self._default_maxsize)
        self._subs[topic].append(sub)
        return sub

    def publish(self, message: object) -> None:
        for sub in self._subs.get(type(message), ()):
            sub._offer(message)

    def publish_many(self, messages: list[Any]) -> None:
        for message in messages:
            self.publish(message)

    def subscriber_count(self, topic: type[Any]) -> int:
        return len(self._subs.get(topic, ()))

    def _unsubscribe(self, sub: Subscription[Any]) -> None:
        subs = self._subs.get(sub.topic)
        if subs and sub in subs:
            subs.remove(sub)
