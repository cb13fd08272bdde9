"""What every adapter does when the outside world misbehaves: errors, cache, stale fallback."""

import asyncio
import socket
from datetime import UTC, datetime

import pytest

from flexcoop.cloud.adapters import FeedUnavailableError, OpenMeteoWeather
from flexcoop.cloud.adapters.cache import TTLCache

from .conftest import FeedServer, Reply, fixture_bytes

DAY = (datetime(2026, 11, 30, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC))
GOOD = Reply(fixture_bytes("openmeteo_berlin_2026-11-30.json"))


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_http_5xx_names_the_feed(feed_server: FeedServer) -> None:
    feed_server.serve("/v1/forecast", Reply(b"upstream down", status=503))
    async with OpenMeteoWeather(feed_server.base_url) as weather:
        with pytest.raises(FeedUnavailableError, match="feed 'open-meteo' unavailable: HTTP 503"):
            await weather.forecast(52.5, 13.4, *DAY)


async def test_timeout(feed_server: FeedServer) -> None:
    feed_server.serve("/v1/forecast", Reply(GOOD.body, delay_s=5))
    async with OpenMeteoWeather(feed_server.base_url, timeout_s=0.2) as weather:
        with pytest.raises(FeedUnavailableError, match=r"no answer .* within 0\.2 s"):
            await weather.forecast(52.5, 13.4, *DAY)


async def test_connection_refused() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again before the call: nothing listens there
    async with OpenMeteoWeather(f"http://127.0.0.1:{port}") as weather:
        with pytest.raises(FeedUnavailableError, match="ClientConnectorError"):
            await weather.forecast(52.5, 13.4, *DAY)


async def test_ttl_cache_then_refetch(feed_server: FeedServer) -> None:
    feed_server.serve("/v1/forecast", GOOD)
    clock = Clock()
    async with OpenMeteoWeather(feed_server.base_url, cache_ttl_s=600, clock=clock) as weather:
        first = await weather.forecast(52.5, 13.4, *DAY)
        assert await weather.forecast(52.5, 13.4, *DAY) == first
        assert feed_server.hits["/v1/forecast"] == 1
        await weather.forecast(52.6, 13.4, *DAY)  # another place is another key
        assert feed_server.hits["/v1/forecast"] == 2
        clock.now += 600
        await weather.forecast(52.5, 13.4, *DAY)
        assert feed_server.hits["/v1/forecast"] == 3


async def test_stale_fallback_is_flagged(feed_server: FeedServer) -> None:
    feed_server.serve("/v1/forecast", GOOD)
    clock = Clock()
    async with OpenMeteoWeather(feed_server.base_url, cache_ttl_s=60, clock=clock) as weather:
        fresh = await weather.forecast(52.5, 13.4, *DAY)
        clock.now += 61
        feed_server.serve("/v1/forecast", Reply(b"", status=502))
        stale = await weather.forecast(52.5, 13.4, *DAY)
        assert stale.stale and not fresh.stale
        assert stale.points == fresh.points and stale.fetched_at == fresh.fetched_at
        # Nothing cached for this key: no fallback possible.
        with pytest.raises(FeedUnavailableError, match="HTTP 502"):
            await weather.forecast(10.0, 10.0, *DAY)
        # The feed recovers: fresh data again, not the stale copy.
        feed_server.serve("/v1/forecast", GOOD)
        assert not (await weather.forecast(52.5, 13.4, *DAY)).stale


async def test_fallback_can_be_disabled(feed_server: FeedServer) -> None:
    feed_server.serve("/v1/forecast", GOOD)
    clock = Clock()
    async with OpenMeteoWeather(
        feed_server.base_url, cache_ttl_s=60, clock=clock, stale_fallback=False
    ) as weather:
        await weather.forecast(52.5, 13.4, *DAY)
        clock.now += 61
        feed_server.serve("/v1/forecast", Reply(b"", status=500))
        with pytest.raises(FeedUnavailableError, match="HTTP 500"):
            await weather.forecast(52.5, 13.4, *DAY)


async def test_unstarted_adapter_and_bad_config() -> None:
    weather = OpenMeteoWeather("http://127.0.0.1:9")
    with pytest.raises(RuntimeError, match="not started"):
        await weather.forecast(52.5, 13.4, *DAY)
    with pytest.raises(ValueError, match="base_url"):
        OpenMeteoWeather("ftp://example.org")


def test_cache_evicts_least_recently_used() -> None:
    clock = Clock()
    cache: TTLCache[int] = TTLCache(ttl_s=10, max_entries=2, clock=clock)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") is not None  # a is now the most recently used
    cache.put("c", 3)
    assert cache.get("b") is None and len(cache) == 2
    hit = cache.get("a")
    assert hit is not None and hit.value == 1 and not hit.expired
    clock.now += 10
    hit = cache.get("a")
    assert hit is not None and hit.expired


async def test_large_bodies_are_read_whole_and_oversize_ones_refused(
    feed_server: FeedServer,
) -> None:
    # Whitespace padding makes the body span many network chunks; JSON ignores it.
    padded = GOOD.body.replace(b"{", b"{" + b" " * 300_000, 1)
    feed_server.serve("/v1/forecast", Reply(padded))
    async with OpenMeteoWeather(feed_server.base_url) as weather:
        series = await weather.forecast(52.5, 13.4, *DAY)
    assert len(series.points) == 21
    async with OpenMeteoWeather(feed_server.base_url, max_response_bytes=100_000) as weather:
        with pytest.raises(FeedUnavailableError, match="larger than 100000 bytes"):
            await weather.forecast(52.5, 13.4, *DAY)


async def test_concurrent_callers_share_one_upstream_request(feed_server: FeedServer) -> None:
    feed_server.serve("/v1/forecast", Reply(GOOD.body, delay_s=0.3))
    async with OpenMeteoWeather(feed_server.base_url) as weather:
        results = await asyncio.gather(*(weather.forecast(52.5, 13.4, *DAY) for _ in range(5)))
        assert feed_server.hits["/v1/forecast"] == 1
        assert all(r == results[0] for r in results)
        # A failure reaches every waiting caller, and nothing stays in flight afterwards.
        feed_server.serve("/v1/forecast", Reply(b"", status=503, delay_s=0.3))
        failures = await asyncio.gather(
            *(weather.forecast(1.0, 1.0, *DAY) for _ in range(3)), return_exceptions=True
        )
        assert feed_server.hits["/v1/forecast"] == 2
        assert all(isinstance(f, FeedUnavailableError) for f in failures)
        assert weather._inflight == {}


async def test_a_cancelled_caller_does_not_cancel_the_others(feed_server: FeedServer) -> None:
    feed_server.serve("/v1/forecast", Reply(GOOD.body, delay_s=0.3))
    async with OpenMeteoWeather(feed_server.base_url) as weather:
        impatient = asyncio.ensure_future(weather.forecast(52.5, 13.4, *DAY))
        patient = asyncio.ensure_future(weather.forecast(52.5, 13.4, *DAY))
        await asyncio.sleep(0.05)
        impatient.cancel()
        series = await patient
        assert impatient.cancelled() and len(series.points) == 21
        assert feed_server.hits["/v1/forecast"] == 1
