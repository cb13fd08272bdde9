"""Marketplace test helpers. The database fixtures (``db_url``, ``engine``: SQLite and
PostgreSQL) and the live cloud (``cloud``) come from ``tests/cloud/conftest.py``."""

from __future__ import annotations

from flexcoop.cloud.marketplace.terms import AvailabilityWindow, Penalties, Terms, Weekday


def make_terms(**changes: object) -> Terms:
    """Realistic terms of a heat pump in Madrid; ``changes`` override top-level fields."""
    base = Terms(
        max_up_w=3000,
        max_down_w=1500,
        timezone="Europe/Madrid",
        availability=[
            AvailabilityWindow(weekday=day, start="07:00", end="22:00")
            for day in (Weekday.MON, Weekday.TUE, Weekday.WED, Weekday.THU, Weekday.FRI)
        ],
        max_activations_per_month=20,
        notice_period_s=3600,
        availability_price_eur_per_kw_month=1.5,
        activation_price_eur_per_kwh=0.25,
        penalties=Penalties(non_delivery_eur_per_kwh=0.1, tolerance_pct=10),
    )
    return base.model_copy(update=changes)
