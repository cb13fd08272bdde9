"""ESIOS-style JSON price feed (Red Eléctrica's ``/indicators/{id}`` API and look-alikes).

Indicator 600 is the day-ahead market price per zone (``geo_id``), magnitude 23 "Precio" in
EUR/MWh, ``tiempo`` "Hora" or "Quince minutos". Each value carries ``datetime_utc``, which we use
rather than the local ``datetime`` so DST days need no special handling.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pydantic import AwareDatetime, BaseModel, ValidationError

from flexcoop.cloud.adapters.feed import PriceAdapter
from flexcoop.cloud.adapters.series import PricePoint, PriceSeries
from flexcoop.units import Unit, convert, ensure_utc, utcnow

GEO_IDS = {"PT": 1, "FR": 2, "ES": 3}
_EUR_PER_MWH = 23  # ESIOS magnitude id of "Precio" (€/MWh)
_TIEMPO_S = {4: 3600, 154: 900}  # "Hora", "Quince minutos"


class _Named(BaseModel):
    id: int
    name: str = ""


class _Value(BaseModel):
    value: float
    datetime_utc: AwareDatetime
    geo_id: int


class _Indicator(BaseModel):
    id: int
    magnitud: list[_Named]
    tiempo: list[_Named]
    values: list[_Value]


class _Response(BaseModel):
    indicator: _Indicator


class EsiosPrices(PriceAdapter):
    feed = "esios"
    default_base_url = "https://api.esios.ree.es"

    def __init__(
        self,
        base_url: str | None = None,
        *,
        api_key: str,
        indicator_id: int = 600,
        **kwargs: Any,
    ) -> None:
        super().__init__(base_url, **kwargs)
        self._api_key = api_key
        self.indicator_id = indicator_id

    async def _fetch_day_ahead(
        self, zone: str, start: datetime, end: datetime, resolution_s: int | None
    ) -> PriceSeries:
        if zone.upper() not in GEO_IDS:
            raise ValueError(f"unknown zone {zone!r} for {self.feed} (known: {', '.join(GEO_IDS)})")
        geo_id = GEO_IDS[zone.upper()]
        params = {
            "start_date": start.isoformat(),
            "end_date": (end - timedelta(seconds=1)).isoformat(),
            "geo_ids[]": str(geo_id),
        }
        if resolution_s is not None:
            by_s = {s: t for t, s in _TIEMPO_S.items()}
            if resolution_s not in by_s:
                raise ValueError(f"{self.feed} publishes 3600 s or 900 s, not {resolution_s} s")
            params["time_trunc"] = "hour" if resolution_s == 3600 else "quarter_hour"
        body = await self._get(
            f"/indicators/{self.indicator_id}",
            params,
            {
                "Accept": "application/json; application/vnd.esios-api-v1+json",
                "x-api-key": self._api_key,
            },
        )
        try:
            ind = _Response.model_validate_json(body).indicator
        except ValidationError as exc:
            raise self.malformed(exc) from None
        if [m.id for m in ind.magnitud] != [_EUR_PER_MWH]:
            got = ", ".join(f"{m.name} ({m.id})" for m in ind.magnitud) or "none"
            raise self.unavailable(f"wrong units: expected Precio EUR/MWh (23), got {got}")
        if len(ind.tiempo) != 1 or ind.tiempo[0].id not in _TIEMPO_S:
            raise self.unavailable(f"unsupported time step {[t.name for t in ind.tiempo]}")
        res_s = _TIEMPO_S[ind.tiempo[0].id]
        if resolution_s is not None and res_s != resolution_s:
            raise self.unavailable(f"asked for {resolution_s} s prices, got {res_s} s")
        prices: dict[datetime, float] = {}
        for v in ind.values:
            ts = ensure_utc(v.datetime_utc)
            if v.geo_id == geo_id and start <= ts < end:
                prices.setdefault(ts, convert(v.value, "EUR/MWh", Unit.EUR_PER_KWH))
        points = tuple(
            PricePoint(start=ts, price_eur_per_kwh=p) for ts, p in sorted(prices.items())
        )
        return PriceSeries(
            feed=self.feed, fetched_at=utcnow(), zone=zone, resolution_s=res_s, points=points
        )
