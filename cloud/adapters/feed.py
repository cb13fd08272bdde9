"""The one interface every external feed implements: HTTP, caching, errors, stale fallback.

Subclasses implement only the fetch-and-parse step (``_fetch_forecast`` / ``_fetch_day_ahead``);
validation of the request, the TTL cache and the fallback to the last cached value live here so
every feed behaves the same when the outside world misbehaves.
"""

from __future__ import annotations

import asyncio
import logging
import time
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Hashable, Mapping
from datetime import datetime
from types import TracebackType
from typing import ClassVar, Self, TypeVar

import aiohttp
from pydantic import ValidationError

from flexcoop.aio import cancel_and_wait
from flexcoop.cloud.adapters.cache import CacheHit, TTLCache
from flexcoop.cloud.adapters.series import PriceSeries, WeatherSeries, _Series
from flexcoop.logs import event, get_logger
from flexcoop.units import ensure_utc

log = get_logger(__name__)

S = TypeVar("S", bound=_Series)

# Far above any real day-ahead or forecast document; protects memory from a broken upstream.
MAX_RESPONSE_BYTES = 8 * 1024 * 1024


class FeedUnavailableError(Exception):
    """The feed is down, answered garbage or used units we cannot convert; names the feed."""

    def __init__(self, feed: str, reason: str) -> None:
        self.feed = feed
        self.reason = reason
        super().__init__(f"feed {feed!r} unavailable: {reason}")


class FeedAdapter(ABC):
    """Base of every adapter. Use as ``async with Adapter(base_url=...) as feed:`` or call
    ``start()``/``stop()``; a caller-owned ``session`` is used as is and never closed here."""

    feed: ClassVar[str]
    default_base_url: ClassVar[str]
    default_ttl_s: ClassVar[float] = 900.0

    def __init__(
        self,
        base_url: str | None = None,
        *,
        timeout_s: float = 10.0,
        cache_ttl_s: float | None = None,
        stale_fallback: bool = True,
        session: aiohttp.ClientSession | None = None,
        clock: Callable[[], float] = time.monotonic,
        max_cache_entries: int = 256,
        max_response_bytes: int = MAX_RESPONSE_BYTES,
    ) -> None:
        base_url = self.default_base_url if base_url is None else base_url
        if not base_url.startswith(("http://", "https://")):
            raise ValueError(f"{self.feed}: base_url must start with http:// or https://")
        if timeout_s <= 0:
            raise ValueError(f"{self.feed}: timeout_s must be > 0")
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s
        self.stale_fallback = stale_fallback
        self.max_response_bytes = max_response_bytes
        self._session = session
        self._owns_session = session is None
        self._cache: TTLCache[_Series] = TTLCache(
            self.default_ttl_s if cache_ttl_s is None else cache_ttl_s, max_cache_entries, clock
        )
        # One upstream request per key at a time: callers arriving while it runs share it
        # (public APIs rate-limit, and a cache expiry must not fan out into N requests).
        self._inflight: dict[Hashable, asyncio.Task[_Series]] = {}

    async def start(self) -> None:
        if self._session is None:
            self._session = aiohttp.ClientSession()

    async def stop(self) -> None:
        await cancel_and_wait(list(self._inflight.values()))
        if self._owns_session and self._session is not None:
            await self._session.close()
            self._session = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    def unavailable(self, reason: str) -> FeedUnavailableError:
        return FeedUnavailableError(self.feed, reason)

    def malformed(self, exc: ValidationError) -> FeedUnavailableError:
        """The first schema problem of a JSON answer, with the path to the offending field."""
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "document"
        return self.unavailable(f"malformed response at {where}: {first['msg']}")

    async def _get(
        self,
        path: str,
        params: Mapping[str, str],
        headers: Mapping[str, str] | None = None,
    ) -> bytes:
        """GET ``base_url + path``; every failure becomes FeedUnavailableError (the URL is logged
        without its query, which may hold an API token)."""
        if self._session is None:
            raise RuntimeError(f"{self.feed}: adapter not started (use 'async with' or start())")
        url = self.base_url + path
        try:
            async with self._session.get(
                url,
                params=dict(params),
                headers=dict(headers or {}),
                timeout=aiohttp.ClientTimeout(total=self.timeout_s),
            ) as resp:
                chunks: list[bytes] = []
                size = 0
                async for chunk in resp.content.iter_chunked(64 * 1024):
                    size += len(chunk)
                    if size > self.max_response_bytes:
                        raise self.unavailable(
                            f"response larger than {self.max_response_bytes} bytes"
                        )
                    chunks.append(chunk)
                body = b"".join(chunks)
                if resp.status >= 400:
                    snippet = body[:200].decode("utf-8", "replace").strip()
                    raise self.unavailable(f"HTTP {resp.status} from {url}: {snippet}")
                return body
        except TimeoutError:
            raise self.unavailable(f"no answer from {url} within {self.timeout_s} s") from None
        except aiohttp.ClientError as exc:
            raise self.unavailable(f"{type(exc).__name__} for {url}: {exc}") from None

    async def _cached(self, key: Hashable, load: Callable[[], Awaitable[S]]) -> S:
        hit = self._cache.get(key)
        if hit is not None and not hit.expired:
            return hit.value
        task = self._inflight.get(key)
        if task is None:
            task = asyncio.ensure_future(self._refresh(key, load, hit))
            self._inflight[key] = task
            task.add_done_callback(lambda done: self._settled(key, done))
        # A caller that gives up (cancelled) must not cancel the request the others wait for.
        return await asyncio.shield(task)

    def _settled(self, key: Hashable, task: asyncio.Task[_Series]) -> None:
        self._inflight.pop(key, None)
        if not task.cancelled():
            task.exception()  # retrieved here, so nobody left waiting is not an asyncio warning

    async def _refresh(
        self, key: Hashable, load: Callable[[], Awaitable[S]], hit: CacheHit[_Series] | None
    ) -> _Series:
        try:
            value = await load()
        except FeedUnavailableError as exc:
            if hit is None or not self.stale_fallback:
                event(
                    log,
                    "feed_unavailable",
                    level=logging.WARNING,
                    feed=self.feed,
                    reason=exc.reason,
                )
                raise
            event(
                log, "feed_stale_fallback", level=logging.WARNING, feed=self.feed, reason=exc.reason
            )
            return hit.value.model_copy(update={"stale": True})
        self._cache.put(key, value)
        event(log, "feed_fetched", feed=self.feed, points=len(value.points))
        return value


def _window(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    start, end = ensure_utc(start), ensure_utc(end)
    if end <= start:
        raise ValueError(f"end {end.isoformat()} must be after start {start.isoformat()}")
    return start, end


class WeatherAdapter(FeedAdapter):
    """Hourly forecast of temperature (°C), GHI (W/m²) and cloud cover (%) at a point."""

    default_ttl_s = 900.0

    async def forecast(
        self, latitude: float, longitude: float, start: datetime, end: datetime
    ) -> WeatherSeries:
        """Points with ``start <= ts < end``."""
        if not -90 <= latitude <= 90:
            raise ValueError(f"latitude must be within [-90, 90], got {latitude}")
        if not -180 <= longitude <= 180:
            raise ValueError(f"longitude must be within [-180, 180], got {longitude}")
        start, end = _window(start, end)
        return await self._cached(
            ("forecast", latitude, longitude, start, end),
            lambda: self._fetch_forecast(latitude, longitude, start, end),
        )

    @abstractmethod
    async def _fetch_forecast(
        self, latitude: float, longitude: float, start: datetime, end: datetime
    ) -> WeatherSeries: ...


class PriceAdapter(FeedAdapter):
    """Day-ahead prices in EUR/kWh per market time unit (1 h or 15 min) for a bidding zone."""

    default_ttl_s = 3600.0

    async def day_ahead(
        self, zone: str, start: datetime, end: datetime, resolution_s: int | None = None
    ) -> PriceSeries:
        """Intervals starting in ``[start, end)``. ``resolution_s`` picks 3600 or 900 when the
        feed publishes both; by default the finest published one is returned."""
        start, end = _window(start, end)
        if resolution_s is not None and resolution_s <= 0:
            raise ValueError(f"resolution_s must be > 0, got {resolution_s}")
        return await self._cached(
            ("day_ahead", zone, start, end, resolution_s),
            lambda: self._fetch_day_ahead(zone, start, end, resolution_s),
        )

    @abstractmethod
    async def _fetch_day_ahead(
        self, zone: str, start: datetime, end: datetime, resolution_s: int | None
    ) -> PriceSeries: ...
