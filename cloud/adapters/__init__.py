"""External time-series feeds (weather forecasts, day-ahead prices) behind one interface.

Every adapter returns typed, tz-aware UTC series, caches them for a TTL, raises
``FeedUnavailableError`` naming the feed when it is down, malformed or in the wrong units, and can
fall back to the last cached value (flagged ``stale``).
"""

from flexcoop.cloud.adapters.entsoe import EntsoeDayAheadPrices
from flexcoop.cloud.adapters.esios import EsiosPrices
from flexcoop.cloud.adapters.feed import (
    FeedAdapter,
    FeedUnavailableError,
    PriceAdapter,
    WeatherAdapter,
)
from flexcoop.cloud.adapters.openmeteo import OpenMeteoWeather
from flexcoop.cloud.adapters.series import (
    PricePoint,
    PriceSeries,
    WeatherPoint,
    WeatherSeries,
    local_day,
)

__all__ = [
    "EntsoeDayAheadPrices",
    "EsiosPrices",
    "FeedAdapter",
    "FeedUnavailableError",
    "OpenMeteoWeather",
    "PriceAdapter",
    "PricePoint",
    "PriceSeries",
    "WeatherAdapter",
    "WeatherPoint",
    "WeatherSeries",
    "local_day",
]
