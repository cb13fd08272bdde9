"""ENTSO-E Transparency Platform day-ahead prices (document type A44).

The answer is an IEC 62325 ``Publication_MarketDocument``: one or more ``TimeSeries``, each with
``Period``s given as a UTC ``timeInterval``, a ``resolution`` (PT60M, PT15M, …) and ``Point``s
numbered by ``position``. Prices are EUR/MWh; we return EUR/kWh. Curve type A03 (variable-sized
blocks) omits a position whose price equals the previous one, so we fill it forward; curve type
A01 (fixed blocks) means every block stands alone, so a missing position stays missing rather
than being invented. "No data" comes back as an ``Acknowledgement_MarketDocument`` with HTTP 200.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from lxml import etree

from flexcoop.cloud.adapters.feed import PriceAdapter
from flexcoop.cloud.adapters.series import PricePoint, PriceSeries
from flexcoop.units import Unit, convert, ensure_utc, utcnow

# Bidding zones by their usual short name → EIC code; EIC codes are accepted as they are.
BIDDING_ZONES = {
    "AT": "10YAT-APG------L",
    "BE": "10YBE----------2",
    "DE-LU": "10Y1001A1001A82H",
    "DK1": "10YDK-1--------W",
    "DK2": "10YDK-2--------M",
    "ES": "10YES-REE------0",
    "FI": "10YFI-1--------U",
    "FR": "10YFR-RTE------C",
    "NL": "10YNL----------L",
    "PL": "10YPL-AREA-----S",
    "PT": "10YPT-REN------W",
}
_EIC = re.compile(r"^[0-9]{2}[A-Z][A-Z0-9\-]{12}[A-Z0-9\-]$")
_DURATION = re.compile(r"^PT(?:(\d+)H)?(?:(\d+)M)?$")
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


def zone_eic(zone: str) -> str:
    eic = BIDDING_ZONES.get(zone.upper(), zone)
    if not _EIC.match(eic):
        known = ", ".join(BIDDING_ZONES)
        raise ValueError(f"unknown bidding zone {zone!r} (give an EIC code or one of: {known})")
    return eic


def _child(el: Any, name: str) -> Any:
    for c in el:
        if isinstance(c.tag, str) and etree.QName(c).localname == name:
            return c
    return None


def _children(el: Any, name: str) -> list[Any]:
    return [c for c in el if isinstance(c.tag, str) and etree.QName(c).localname == name]


def _text(el: Any, path: str) -> str | None:
    for name in path.split("/"):
        el = _child(el, name)
        if el is None:
            return None
    return (el.text or "").strip()


class _Malformed(ValueError):
    pass


def _require(el: Any, path: str) -> str:
    value = _text(el, path)
    if not value:
        raise _Malformed(f"missing {path}")
    return value


def _utc(text: str, what: str) -> datetime:
    try:
        return ensure_utc(datetime.fromisoformat(text))
    except ValueError:
        raise _Malformed(f"{what} {text!r} is not an ISO 8601 UTC time") from None


def _resolution_s(text: str) -> int:
    m = _DURATION.match(text)
    if not m or not (m.group(1) or m.group(2)):
        raise _Malformed(f"unsupported resolution {text!r}")
    seconds = int(m.group(1) or 0) * 3600 + int(m.group(2) or 0) * 60
    if seconds <= 0:
        raise _Malformed(f"unsupported resolution {text!r}")
    return seconds


def _period_prices(period: Any, curve_type: str) -> tuple[int, dict[datetime, float]]:
    start = _utc(_require(period, "timeInterval/start"), "timeInterval/start")
    end = _utc(_require(period, "timeInterval/end"), "timeInterval/end")
    res_s = _resolution_s(_require(period, "resolution"))
    slots, rest = divmod(int((end - start).total_seconds()), res_s)
    if slots <= 0 or rest:
        raise _Malformed(f"timeInterval {start}–{end} is not a whole number of {res_s} s")
    by_position: dict[int, float] = {}
    for point in _children(period, "Point"):
        raw_pos, raw_price = _require(point, "position"), _require(point, "price.amount")
        try:
            pos, price = int(raw_pos), float(raw_price)
        except ValueError:
            raise _Malformed(f"bad Point position={raw_pos!r} price.amount={raw_price!r}") from None
        if not 1 <= pos <= slots:
            raise _Malformed(f"position {pos} outside 1..{slots}")
        if pos in by_position:
            raise _Malformed(f"duplicate position {pos}")
        by_position[pos] = price
    if not by_position:
        raise _Malformed("Period without Points")
    if curve_type == "A03":
        if 1 not in by_position:
            raise _Malformed("curve type A03 without position 1")
        last = by_position[1]
        for pos in range(1, slots + 1):
            last = by_position.setdefault(pos, last)
    step = timedelta(seconds=res_s)
    return res_s, {start + (pos - 1) * step: price for pos, price in by_position.items()}


class EntsoeDayAheadPrices(PriceAdapter):
    feed = "entsoe"
    default_base_url = "https://web-api.tp.entsoe.eu"

    def __init__(self, base_url: str | None = None, *, security_token: str, **kwargs: Any) -> None:
        super().__init__(base_url, **kwargs)
        if not security_token:
            raise ValueError("entsoe: security_token is required")
        self._token = security_token

    async def _fetch_day_ahead(
        self, zone: str, start: datetime, end: datetime, resolution_s: int | None
    ) -> PriceSeries:
        eic = zone_eic(zone)
        fmt = "%Y%m%d%H%M"
        body = await self._get(
            "/api",
            {
                "documentType": "A44",
                "in_Domain": eic,
                "out_Domain": eic,
                "contract_MarketAgreement.type": "A01",
                "periodStart": start.strftime(fmt),
                "periodEnd": end.strftime(fmt),
                "securityToken": self._token,
            },
        )
        try:
            res_s, prices = self._parse(body, resolution_s)
        except _Malformed as exc:
            raise self.unavailable(f"malformed Publication_MarketDocument: {exc}") from None
        points = tuple(
            PricePoint(start=ts, price_eur_per_kwh=convert(price, "EUR/MWh", Unit.EUR_PER_KWH))
            for ts, price in sorted(prices.items())
            if start <= ts < end
        )
        return PriceSeries(
            feed=self.feed, fetched_at=utcnow(), zone=zone, resolution_s=res_s, points=points
        )

    def _parse(self, body: bytes, want_res_s: int | None) -> tuple[int, dict[datetime, float]]:
        try:
            root = etree.fromstring(body, _PARSER)
        except etree.XMLSyntaxError as exc:
            raise self.unavailable(f"not XML: {exc}") from None
        kind = etree.QName(root).localname
        if kind == "Acknowledgement_MarketDocument":
            reason = _text(root, "Reason/text") or _text(root, "Reason/code") or "no reason given"
            raise self.unavailable(f"no data: {reason}")
        if kind != "Publication_MarketDocument":
            raise self.unavailable(f"unexpected document {kind!r}")
        if (doc_type := _text(root, "type")) != "A44":
            raise _Malformed(f"document type {doc_type!r}, expected 'A44' (price document)")
        by_res: dict[int, dict[datetime, float]] = {}
        for ts in _children(root, "TimeSeries"):
            currency = _text(ts, "currency_Unit.name")
            measure = _text(ts, "price_Measure_Unit.name")
            if currency != "EUR" or measure != "MWH":
                raise self.unavailable(
                    f"wrong units: expected EUR per MWH, got {currency!r} per {measure!r}"
                )
            curve_type = _text(ts, "curveType") or "A01"
            if curve_type not in ("A01", "A03"):
                raise _Malformed(f"unsupported curveType {curve_type!r}")
            for period in _children(ts, "Period"):
                res_s, prices = _period_prices(period, curve_type)
                merged = by_res.setdefault(res_s, {})
                for when, price in prices.items():
                    merged.setdefault(when, price)
        if not by_res:
            raise _Malformed("no TimeSeries with Periods")
        if want_res_s is not None:
            if want_res_s not in by_res:
                raise self.unavailable(
                    f"no {want_res_s} s prices published (have {sorted(by_res)})"
                )
            return want_res_s, by_res[want_res_s]
        finest = min(by_res)
        return finest, by_res[finest]
