"""Time-series tables (migrations: ``cloud/timeseries/migrations/versions``).

DER ids are not foreign keys to the registry: telemetry outlives registrations and a report for a
DER the registry does not know yet must still be kept.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from flexcoop.cloud.db import Base, UtcDateTime

BIGINT_PK = BigInteger().with_variant(Integer(), "sqlite")


class RawSampleRow(Base):
    __tablename__ = "timeseries_raw"

    der_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    series: Mapped[str] = mapped_column(String(64), primary_key=True)
    ts: Mapped[datetime] = mapped_column(UtcDateTime, primary_key=True)
    interval_start: Mapped[datetime] = mapped_column(UtcDateTime)
    value: Mapped[float] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(16))

    __table_args__ = (Index("ix_timeseries_raw_ts", "ts"),)


class AggregateRow(Base):
    """15-minute aggregate of one series: count, sum, min and max of the raw samples."""

    __tablename__ = "timeseries_15m"

    der_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    series: Mapped[str] = mapped_column(String(64), primary_key=True)
    interval_start: Mapped[datetime] = mapped_column(UtcDateTime, primary_key=True)
    unit: Mapped[str] = mapped_column(String(16))
    n: Mapped[int] = mapped_column(Integer)
    sum_value: Mapped[float] = mapped_column(Float)
    min_value: Mapped[float] = mapped_column(Float)
    max_value: Mapped[float] = mapped_column(Float)

    __table_args__ = (Index("ix_timeseries_15m_interval_start", "interval_start"),)


class FlexOfferRow(Base):
    __tablename__ = "timeseries_flex_offer"

    id: Mapped[int] = mapped_column(BIGINT_PK, primary_key=True, autoincrement=True)
    der_id: Mapped[str] = mapped_column(String(128))
    created: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (Index("ix_timeseries_flex_offer_der_id_created", "der_id", "created"),)


class FlexOfferIntervalRow(Base):
    __tablename__ = "timeseries_flex_offer_interval"

    offer_id: Mapped[int] = mapped_column(
        BIGINT_PK, ForeignKey("timeseries_flex_offer.id", ondelete="CASCADE"), primary_key=True
    )
    start: Mapped[datetime] = mapped_column(UtcDateTime, primary_key=True)
    up_w: Mapped[float] = mapped_column(Float)
    down_w: Mapped[float] = mapped_column(Float)

    __table_args__ = (Index("ix_timeseries_flex_offer_interval_start", "start"),)
